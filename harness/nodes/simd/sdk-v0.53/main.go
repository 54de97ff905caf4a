// The simd of the Cosmos SDK v0.53 line: ibc-go v10's testing/simapp (SDK v0.53.4, CometBFT v0.38.17) with
// a root command of chainsoak's own, since that module ships no simd command. It has what chainsoak runs
// a chain with: init, genesis (gentx, collect-gentxs, add-genesis-account...), keys, start and the CometBFT
// subcommands, status. Transactions come from chainsoak's workloads (cosmjs), not from this CLI.
package main

import (
	"errors"
	"io"
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/cosmos/ibc-go/v10/testing/simapp"
)

func main() {
	rootCmd := newRootCmd()
	if err := svrcmd.Execute(rootCmd, "", simapp.DefaultNodeHome); err != nil {
		log.NewLogger(rootCmd.OutOrStderr()).Error("failure when running app", "err", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	// An app instance for its codecs and module basics (as the SDK's own simd does), on a throw-away home.
	tempHome, err := os.MkdirTemp("", "simapp")
	if err != nil {
		tempHome = simapp.DefaultNodeHome
	}
	defer os.RemoveAll(tempHome)
	tempApp := simapp.NewSimApp(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(tempHome))

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(simapp.DefaultNodeHome).
		WithViper("")

	rootCmd := &cobra.Command{
		Use:           "simd",
		Short:         "simulation app (ibc-go v10 testing/simapp, Cosmos SDK v0.53)",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			clientCtx := initClientCtx.WithCmdContext(cmd.Context())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			if clientCtx, err = config.ReadFromClientConfig(clientCtx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			appConfig := serverconfig.DefaultConfig()
			appConfig.MinGasPrices = "0stake" // as the SDK's simd: app.toml must name one
			return server.InterceptConfigsPreRunHandler(cmd, serverconfig.DefaultConfigTemplate, appConfig, cmtcfg.DefaultConfig())
		},
	}

	sdk.GetConfig().Seal()
	basics := tempApp.BasicModuleManager
	rootCmd.AddCommand(
		genutilcli.InitCmd(basics, simapp.DefaultNodeHome),
		genutilcli.Commands(tempApp.TxConfig(), basics, simapp.DefaultNodeHome),
		keys.Commands(),
		server.StatusCommand(),
	)
	server.AddCommands(rootCmd, simapp.DefaultNodeHome, newApp, exportApp, func(*cobra.Command) {})
	return rootCmd
}

func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	return simapp.NewSimApp(logger, db, traceStore, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

// exportApp: ibc-go v10's testing simapp has no state export (no ExportAppStateAndValidators).
func exportApp(log.Logger, dbm.DB, io.Writer, int64, bool, []string, servertypes.AppOptions, []string) (servertypes.ExportedApp, error) {
	return servertypes.ExportedApp{}, errors.New("export is not supported by this simd (ibc-go v10 testing/simapp has no state export)")
}
