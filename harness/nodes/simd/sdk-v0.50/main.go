// The simd of the Cosmos SDK v0.50 line: ibc-go v8's testing/simapp (SDK v0.50.9, CometBFT v0.38), whose
// root command is the SDK's simd with IBC added. chainsoak builds this module with `go build`; it exists
// because the SDK's own simapp module is not served by the module proxy and `go install` refuses a module
// with replace directives.
package main

import (
	"os"

	"cosmossdk.io/log"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/cosmos/ibc-go/v8/testing/simapp"
	"github.com/cosmos/ibc-go/v8/testing/simapp/simd/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "", simapp.DefaultNodeHome); err != nil {
		log.NewLogger(rootCmd.OutOrStderr()).Error("failure when running app", "err", err)
		os.Exit(1)
	}
}
