/**
 * What a frame is: the standard library, a known infrastructure library (a database engine, a logger, a
 * codec, a transport, a bounded cache, an event bus), or the node's own code. Leak patterns are
 * recognised by the library or standard package that allocated, and the suspect is the node's own frame
 * that called into it. (The caches below hold one entry per function name a profile has: bounded.)
 */

/** What a known third-party library does; it decides which pattern its allocations belong to. */
export type LibraryRole = 'db' | 'log' | 'decoder' | 'transport' | 'events' | 'cache';

/**
 * Package-path prefixes of libraries whose frames are not suspects: a leak through them is almost always
 * their caller's (an iterator the caller never released, a struct the caller logs, a connection the
 * caller keeps). Some are inside the node's own module (geth's rlp, log, ethdb, event): the suspect is
 * then the geth code that called them, which is where the fix goes.
 */
const LIBRARIES: ReadonlyArray<readonly [prefix: string, role: LibraryRole]> = [
  // Storage engines and the nodes' thin wrappers around them (iterators and snapshots live here).
  ['github.com/syndtr/goleveldb', 'db'],
  ['github.com/cockroachdb/pebble', 'db'],
  ['github.com/dgraph-io/badger', 'db'],
  ['github.com/linxGnu/grocksdb', 'db'],
  ['github.com/tecbot/gorocksdb', 'db'],
  ['go.etcd.io/bbolt', 'db'],
  ['github.com/cometbft/cometbft-db', 'db'],
  ['github.com/tendermint/tm-db', 'db'],
  ['github.com/cosmos/cosmos-db', 'db'],
  ['github.com/cosmos/iavl', 'db'],
  ['cosmossdk.io/store', 'db'],
  ['github.com/cosmos/cosmos-sdk/store', 'db'],
  ['github.com/ethereum/go-ethereum/ethdb', 'db'],
  // Loggers.
  ['go.uber.org/zap', 'log'],
  ['github.com/rs/zerolog', 'log'],
  ['github.com/sirupsen/logrus', 'log'],
  ['github.com/go-kit/log', 'log'],
  ['github.com/go-kit/kit/log', 'log'],
  ['github.com/go-logfmt/logfmt', 'log'],
  ['github.com/inconshreveable/log15', 'log'],
  ['golang.org/x/exp/slog', 'log'],
  ['github.com/ethereum/go-ethereum/log', 'log'],
  ['github.com/cometbft/cometbft/libs/log', 'log'],
  ['github.com/tendermint/tendermint/libs/log', 'log'],
  ['cosmossdk.io/log', 'log'],
  // Encodings and codecs.
  ['github.com/ethereum/go-ethereum/rlp', 'decoder'],
  ['google.golang.org/protobuf', 'decoder'],
  ['github.com/golang/protobuf', 'decoder'],
  ['github.com/gogo/protobuf', 'decoder'],
  ['github.com/cosmos/gogoproto', 'decoder'],
  ['github.com/tendermint/go-amino', 'decoder'],
  ['github.com/cometbft/cometbft/libs/protoio', 'decoder'],
  ['github.com/cometbft/cometbft/internal/protoio', 'decoder'],
  ['github.com/tendermint/tendermint/libs/protoio', 'decoder'],
  ['github.com/fxamacker/cbor', 'decoder'],
  ['github.com/ugorji/go/codec', 'decoder'],
  ['github.com/json-iterator/go', 'decoder'],
  ['github.com/goccy/go-json', 'decoder'],
  ['github.com/golang/snappy', 'decoder'],
  ['github.com/klauspost/compress', 'decoder'],
  ['github.com/ferranbt/fastssz', 'decoder'],
  ['github.com/prysmaticlabs/fastssz', 'decoder'],
  // Transports: goroutines park in them on behalf of the code that opened the connection or stream.
  ['github.com/gorilla/websocket', 'transport'],
  ['nhooyr.io/websocket', 'transport'],
  ['github.com/coder/websocket', 'transport'],
  ['golang.org/x/net', 'transport'],
  ['google.golang.org/grpc', 'transport'],
  ['github.com/libp2p', 'transport'],
  ['github.com/quic-go', 'transport'],
  ['github.com/hashicorp/yamux', 'transport'],
  ['github.com/soheilhy/cmux', 'transport'],
  ['github.com/rs/cors', 'transport'],
  // Bounded caches (LRU by construction): their growth is a cache filling to its size, whoever fills it.
  ['github.com/ethereum/go-ethereum/common/lru', 'cache'],
  ['github.com/hashicorp/golang-lru', 'cache'],
  ['github.com/VictoriaMetrics/fastcache', 'cache'],
  ['github.com/dgraph-io/ristretto', 'cache'],
  ['github.com/allegro/bigcache', 'cache'],
  ['github.com/karlseguin/ccache', 'cache'],
  // Event buses: a subscription someone never cancels is the subscriber's leak.
  ['github.com/cometbft/cometbft/libs/pubsub', 'events'],
  ['github.com/cometbft/cometbft/internal/pubsub', 'events'],
  ['github.com/tendermint/tendermint/libs/pubsub', 'events'],
  ['github.com/ethereum/go-ethereum/event', 'events'],
];

const packageCache = new Map<string, string>();

/**
 * The package path of a function name as pprof prints it: `net/http.(*conn).serve` → `net/http`,
 * `github.com/a/b.(*T[go.shape.int]).M` → `github.com/a/b`. Type arguments (which hold package paths of
 * their own) and receivers are cut first; the path ends at the first '.' after its last '/'.
 */
export function packagePath(fn: string): string {
  let pkg = packageCache.get(fn);
  if (pkg === undefined) {
    const cut = fn.search(/[[(]/);
    const head = cut >= 0 ? fn.slice(0, cut) : fn;
    const dot = fn.indexOf('.', head.lastIndexOf('/') + 1);
    pkg = dot >= 0 ? fn.slice(0, dot) : fn;
    packageCache.set(fn, pkg);
  }
  return pkg;
}

/**
 * Standard library (runtime and internal/… included) or a compiler-generated/unsymbolized frame: a
 * package path whose first element has no dot. `main` is the node's own. (A module path without a dot
 * would be taken for the standard library; Go modules of real nodes all have one.)
 */
export function isStdlib(fn: string): boolean {
  if (fn.startsWith('<') || fn.startsWith('[')) return true; // <unknown>, [binary]: nothing to blame
  const pkg = packagePath(fn);
  if (pkg === 'main') return false;
  const slash = pkg.indexOf('/');
  return !(slash >= 0 ? pkg.slice(0, slash) : pkg).includes('.');
}

/** The runtime proper: goroutine scheduling and allocation, never a suspect even as a fallback. */
export function isRuntime(fn: string): boolean {
  const pkg = packagePath(fn);
  return pkg === 'runtime' || pkg.startsWith('internal/') || fn.startsWith('<') || fn.startsWith('[');
}

const roleCache = new Map<string, LibraryRole | null>();

/**
 * The role of a known library frame, or undefined for the standard library and the node's own code.
 * A prefix covers its subpackages and major versions (`github.com/cockroachdb/pebble/v2/...`).
 */
export function libraryRole(fn: string): LibraryRole | undefined {
  let role = roleCache.get(fn);
  if (role === undefined) {
    role = null;
    if (!isStdlib(fn)) {
      const pkg = packagePath(fn);
      role = LIBRARIES.find(([prefix]) => pkg === prefix || pkg.startsWith(prefix + '/'))?.[1] ?? null;
    }
    roleCache.set(fn, role);
  }
  return role ?? undefined;
}

/** The node's own code: neither the standard library nor a known library. */
export function isOwn(fn: string): boolean {
  return !isStdlib(fn) && libraryRole(fn) === undefined;
}
