// The app of an out-of-process simd (`simd start --with-comet=false`, chainsoak's `abci: 'app'` node) runs
// no CometBFT node, so nothing serves rpc.pprof_laddr: chainsoak would not see its heap. With
// CHAINSOAK_PPROF_LADDR set (host:port, 127.0.0.1 for a process), net/http/pprof is served there from the
// start. Unset (every other simd command), nothing is opened. Every SDK line's wrapper module carries this
// same file: each module is built, and hashed for the cache, on its own.
package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

func init() {
	addr := os.Getenv("CHAINSOAK_PPROF_LADDR")
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			os.Stderr.WriteString("chainsoak pprof listener on " + addr + ": " + err.Error() + "\n")
			os.Exit(1)
		}
	}()
}
