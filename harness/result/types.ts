/**
 * The result model: every type a run's summary.json is made of, in one module that imports nothing, at
 * the bottom of the house. Probes, workloads, analysis and the report all speak these types; the
 * functions that make them live in their own modules (which re-export the types they produce).
 */

export type RuntimeKind = 'process' | 'container' | 'external';

export interface Sample {
  node: string;
  /** ms since the run started */
  t: number;
  phase: string;
  heapInuse: number;
  heapAlloc: number;
  sys: number;
  numGC: number;
  /** Cumulative bytes allocated (GC churn: the difference between two samples). */
  totalAlloc: number;
  /** Cumulative GC pause, ns, where the source reports it. */
  pauseTotalNs?: number;
  gcCpuFraction?: number;
  goroutines: number;
  rss: number | null;
  /** A container's memory as its cgroup counts it (usage, anonymous, page cache, limit), on the container runtime. */
  container?: ContainerMemory;
  /** Flavor-specific chain figures (height, mempool size, peers), when the flavor samples them. */
  chain?: Record<string, number>;
  /** What fired the sample: the fixed interval, a block commit, the block before a snapshot, a new peer peak. */
  trigger: SampleTrigger;
}

export type SampleTrigger = 'interval' | 'block' | 'pre-snapshot' | 'peer-peak';

export interface RunEvent {
  /** ms since the run started */
  t: number;
  kind: string;
  detail?: string;
}


export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Counters every workload reports; workload-specific ones go in `extra`. */
export interface WorkloadStats {
  kind: string;
  sent: number;
  accepted: number;
  failed: number;
  /** accepted per second over the measured window. */
  achievedRate: number;
  durationMs: number;
  latency: LatencySummary | null;
  /** Sample of distinct error messages, for the report. */
  errors: string[];
  extra?: Record<string, number | string>;
}


/** The subset of runtime.MemStats chainsoak tracks (names as in Go). */
export interface MemStats {
  HeapInuse: number;
  HeapAlloc: number;
  Sys: number;
  NumGC: number;
  TotalAlloc: number;
  HeapObjects: number;
  /** Total GC stop-the-world pause since start, where the source reports it (not heap?debug=1). */
  PauseTotalNs?: number;
  /** Fraction of CPU the GC used since start, where the source reports it. */
  GCCPUFraction?: number;
}


export type PatternId = 'goroutine-parked' | 'map-never-pruned' | 'timers-contexts' | 'log-formatting' | 'decoder-buffers' | 'unclosed-iterators' | 'outside-heap' | 'unclassified';

export interface SuspectFrame {
  /** The function most likely at fault: the nearest caller outside the runtime and standard library. */
  function: string;
  /** Growth attributed to it: bytes (heap patterns) or goroutines. */
  growth: number;
  /** A representative stack, leaf first. */
  stack: string[];
  /** Goroutine patterns: what the representative stack waits for ('channel receive', 'select', ...). */
  blockedIn?: string;
  /** Bytes patterns: one standard deviation of `growth` from heap sampling. */
  noise?: number;
}

export interface PatternFinding {
  pattern: PatternId;
  /** Short title: "goroutines parked on one stack". */
  title: string;
  unit: 'bytes' | 'goroutines';
  /** Total growth matching the signature. */
  growth: number;
  /** Suspects, most growth first: the leaking function is the first row. */
  suspects: SuspectFrame[];
  /** The usual fix, one line. */
  hint: string;
  /**
   * 'high': the signature's frames are in the growing stacks (or, for outside-heap, RSS says so).
   * 'low': inferred — map-never-pruned from allocations made directly by the node's code (Go's heap
   * profiles hide runtime.mapassign), and every 'unclassified' finding.
   */
  confidence?: 'high' | 'low';
  /** Bytes findings: one standard deviation of `growth` from heap sampling (PATTERN_THRESHOLDS.noiseZ). */
  noise?: number;
  /**
   * goroutine-parked: heap growth that goes with the goroutines, netted: their g structs (runtime.newproc1,
   * no user frame) and allocations without a signature whose suspect is one of this finding's suspects
   * (the closure of a `go` statement). Not counted in any bytes finding.
   */
  heapBytes?: number;
}


/** Memory of the node's container as its cgroup counts it (container runtime only). */
export interface ContainerMemory {
  usageBytes: number;
  rssBytes?: number;
  cacheBytes?: number;
  limitBytes?: number;
}


/** One forced-GC sample taken after a workload cycle. */
export interface TrendPoint {
  /** 1-based cycle index over the whole run (cycle 0 is the 'before' snapshot). */
  cycle: number;
  phase: string;
  /** ms since the run started */
  t: number;
  /** Operations the workloads completed (accepted) up to this point. */
  ops: number;
  /** Post-GC heap in use (inuse_space of the forced-GC heap profile), bytes. */
  heapInuse: number;
  /** runtime.MemStats.HeapAlloc read right after the forced GC: the heap floor the trend fits. */
  heapAlloc: number;
  sys: number;
  goroutines: number;
  rss: number | null;
  /** Heap profile of this sample, relative to the report folder. */
  profile?: string;
}

/**
 * leak: still rising, and (for the heap) the cycles' profiles show the sites that grew; rising: the floor
 * rises but nothing in the profiles accounts for it (a warning, not a failure, unless the scenario is
 * strict); bounded: grew, then levelled off; flat: no growth beyond noise; insufficient: too few cycles.
 */
export type TrendVerdict = 'leak' | 'rising' | 'bounded' | 'flat' | 'insufficient';

/** The steady-state slope in hours and days, and when it would reach a memory limit. */
export interface TrendProjection {
  perHour: number;
  perDay: number;
  /** 95% interval of perDay. */
  perDayCI: [number, number];
  /** The limit projected to, where one is known: a scenario value (`oomAfter.limit`) or the node's `memLimit`. */
  limit?: { bytes: number; source: 'oomAfter.limit' | 'memLimit' };
  /** Node memory at the end of the run the projection starts from (peak RSS, else Go's Sys), bytes. */
  footprint?: number;
  /**
   * Days until the footprint reaches the limit at this rate, where every byte of live heap brings its
   * GOGC share of garbage at the heap's peak (×2 at Go's default GOGC=100). Absent when not rising.
   */
  daysToLimit?: number;
  /** "+3.1 MB per hour, +74 MB per day; at this rate the node reaches its 512 MB limit in 5.8 days" */
  message: string;
}

export interface TrendFit {
  /** heapAlloc: the post-GC heap floor (live bytes right after a forced GC, exact, unlike the sampled profile). */
  metric: 'heapAlloc' | 'goroutines' | 'rss' | 'sys';
  verdict: TrendVerdict;
  /** Growth from the first point to the end (the median of the last third of the points). */
  growth: number;
  /** Least-squares slope over the whole series, per cycle, with its 95% confidence interval. */
  slopePerCycle: number;
  slopeCI: [number, number];
  /** Slope over the last half of the series (the steady state), per cycle, with its 95% interval. */
  tailSlopePerCycle: number;
  tailSlopeCI: [number, number];
  /** Tail slope per 1,000 operations, when the workloads count operations. */
  tailSlopePer1kOps?: number;
  /** Tail slope per minute. */
  tailSlopePerMinute: number;
  /** Plain-language reason for the verdict. */
  message: string;
  /** The tail slope per hour and day, and the time to a memory limit. */
  projection?: TrendProjection;
  /** Heap floor fits that rose: what the cycles' heap profiles show grew (judgeHeapTrend). */
  attribution?: Attribution;
  /** A 'rising' verdict: what would settle it ("run longer than 12 min", "lower memProfileRate to 16384"). */
  advice?: string[];
}

export interface GrowthSite {
  /** The site: the nearest non-standard-library frame of the allocation stacks given to it. */
  function: string;
  /** inuse_space at the last tail profile minus the first (what `go tool pprof -diff_base` nets for these stacks). */
  growth: number;
  /** Least-squares slope over the tail profiles, bytes per cycle, with its 95% interval. */
  slopePerCycle: number;
  slopeCI: [number, number];
  /** The stack (leaf first) that grew most, for the report. */
  stack: string[];
  /** Set when the growth is inside a structure bounded by construction: what it is. */
  bounded?: string;
}

/** What the heap profiles of a trend's tail cycles show grew (analysis/attribution.ts). */
export interface Attribution {
  /** Cycles of the first and last profiles compared (the tail of the trend). */
  fromCycle: number;
  toCycle: number;
  /** The profiles, relative to the report folder, for `go tool pprof -diff_base from to`. */
  fromProfile?: string;
  toProfile?: string;
  /** The profiles' sampling period (runtime.MemProfileRate), bytes. */
  rate: number;
  /** Net inuse_space growth between the first and last tail profiles (pprof -diff_base's total). */
  profileGrowth: number;
  /** Sites that grew beyond sampling noise, outside bounded structures: a leak's evidence. Most first. */
  sites: GrowthSite[];
  /** Sites that grew inside bounded structures. */
  bounded: GrowthSite[];
  /** Sum of `sites` growth. */
  attributed: number;
  /** The smallest growth a site can show at this rate (MIN_SAMPLES × rate). */
  resolution: number;
}

/** Heap growth held by growing goroutines (analysis/growth-link.ts): one leak, not two. */
export interface GrowingGoroutines {
  /** Their start function: the stack's root frame. */
  entry: string;
  /** The node's own frame they wait in (the goroutine-parked finding's suspect). */
  function: string;
  /** The function whose `go` statement started them, when known. */
  creator?: string;
  /** 'dump': "created by" in the goroutine dump; 'closure': the entry is a closure defined in it. */
  creatorFrom?: 'dump' | 'closure';
  /** Goroutines gained (after − before), netted over every stack with this function. */
  count: number;
  /** What the largest stack waits for ('channel receive', 'select', ...). */
  blockedIn?: string;
  /** The largest growing stack, leaf first. */
  stack: string[];
  /** Their stacks: at least count × 2 KiB of StackInuse, which the heap profile does not hold. */
  stackBytes: number;
}

export interface HeapSite {
  /** The node's own frame nearest the allocation (the heap finding's suspect), of the largest stack. */
  function: string;
  /** The largest stack's allocating function: its leaf outside the runtime (bufio.NewReaderSize). */
  allocatedIn: string;
  /** inuse_space growth (after − before), netted over the stacks. */
  bytes: number;
  /** One standard deviation of `bytes` from heap sampling. */
  noise: number;
  /** The largest growing stack, leaf first. */
  stack: string[];
}

export interface GrowthLink {
  goroutines: GrowingGoroutines;
  heap: HeapSite;
  /** Own frames the largest heap stack shares with the goroutines' stack, leaf first; or [creator]. */
  sharedFrames: string[];
  /** 'stack': allocated by goroutines like these (a shared root path); 'creator': by their creator. */
  via: 'stack' | 'creator';
  /** "one leak: 2,000 goroutines created by main.subscribe ... hold +7.7 MB allocated under ...". */
  message: string;
}

export interface GrowthLinks {
  /** Largest heap growth first. */
  linked: GrowthLink[];
  /** Heap growth no growing goroutine holds, by suspect, largest first. */
  unlinkedHeap: HeapSite[];
  /** Goroutine growth holding no heap growth of its own, most goroutines first. */
  unlinkedGoroutines: GrowingGoroutines[];
  /** Heap growth of new goroutines' g structs (runtime.newproc1, no own frame to link), bytes. */
  goroutineStructs: number;
  /** StackInuse after − before, when given. */
  stackInuseGrowth?: number;
  /** One line for the report. */
  message: string;
}

/** Goroutines the Go runtime proved leaked (GOEXPERIMENT=goroutineleakprofile; analysis/proven-leaks.ts). */
export interface ProvenLeakStack {
  /** Function names, leaf first (runtime.gopark … the goroutine's start function). */
  stack: string[];
  /** The start function of the goroutines (the last frame): the profile has no `created by`. */
  entry: string;
  /** The first frame outside the runtime and sync packages: the code that blocks forever. */
  blockedIn: string;
  /** Proven leaked goroutines with this stack in the 'after' profile. */
  count: number;
  /** The same in the 'before' profile (0 without one). */
  before: number;
  /** count − before, never below 0. */
  newSinceBefore: number;
}

export interface ProvenLeaks {
  /** Proven leaked goroutines in the 'after' profile (ignored stacks left out). */
  total: number;
  /** The same in the 'before' profile; null when there is none. */
  before: number | null;
  /** Goroutines proven since 'before': the growth of each stack, summed (all of `total` without a before). */
  newSinceBefore: number;
  /** Every stack of the 'after' profile, most new first, then most goroutines. */
  stacks: ProvenLeakStack[];
  /** Proven leaked goroutines at 'after' on stacks the ignore list matched. */
  ignored: number;
}

export interface BudgetResult {
  name: string;
  /** Node name, or '*' for run-wide workload objectives. */
  node: string;
  limit: number;
  observed: number;
  unit: 'bytes' | 'percent' | 'goroutines' | 'ratio' | 'ms' | 'days';
  pass: boolean;
  /** Not judged: a fault hit the node, or it was down at a snapshot. Skipped budgets never fail a run. */
  skipped?: boolean;
  /** Human-readable one-liner: "heap in-use grew +12.3 MB (limit +64 MB)". */
  message: string;
  /** Passed, but with something a reviewer should look at (a floor rising with nothing attributable). */
  warning?: string;
}

/** A node the kernel's OOM killer ended (a container over its memory limit). */
export interface OomKill {
  node: string;
  /** "OOM-killed after 3m12s at 498 MB (limit 512 MB)" */
  message: string;
}


export type Verdict = 'pass' | 'fail' | 'error';

/** How a node's binary was built, from the cache's build record (nodes/install.ts BuildInfo). */
export interface NodeBuild {
  goVersion: string;
  /** Built with cgo: C code in the binary, whose allocations are outside the Go heap pprof sees. */
  cgo: boolean;
  /** Why chainsoak built it with cgo: the packages that do not build without it. */
  cgoNeededBy?: string[];
  linkage?: 'static' | 'dynamic' | 'not-elf';
}

export interface NodeReport {
  name: string;
  flavor: string;
  version: string;
  /** The host binary it ran ('' when it ran only an image, or ran elsewhere). */
  binary: string;
  /** Where it ran: 'process', 'container' or 'external'. */
  runtime: RuntimeKind;
  /** The container image it ran (container runtime). */
  image?: string;
  /** How chainsoak built its binary (the cache's build.json); absent for a binary it did not build. */
  build?: NodeBuild;
  heap: {
    before: { inuseBytes: number; inuseObjects: number; memstats: MemStats };
    after: { inuseBytes: number; inuseObjects: number; memstats: MemStats };
    topGrowth: Array<{ function: string; inuseBytes: number; inuseObjects: number; cumInuseBytes: number }>;
  };
  goroutines: {
    before: number;
    after: number;
    topGrowth: Array<{ stack: string[]; entry: string; before: number; after: number; count: number }>;
  };
  rss: { before: number | null; after: number | null };
  /** Paths relative to the report folder. */
  profiles: { heapBefore: string; heapAfter: string; goroutineBefore: string; goroutineAfter: string };
  pprofCommands: string[];
  log: string;
  /** With `afterRelease`: the node after the workloads let go of what they held (clients, subscriptions). */
  released?: { goroutines: number; inuseBytes: number; rssBytes: number | null };
  /** A scenario fault hit this node between the snapshots: its diff is shown but not judged. */
  disrupted: boolean;
  /** Bytes between heap profile samples (runtime.MemProfileRate; GODEBUG=memprofilerate sets it). */
  heapSampleRate: number;
  /** Runtime figures per phase, from the samples at the phase's start and end. */
  phases: PhaseFigures[];
  /** Forced-GC samples after each workload cycle and the fits over them (phases with `cycles`). */
  trend?: { points: TrendPoint[]; heapAlloc: TrendFit; goroutines: TrendFit; rss?: TrendFit; sys?: TrendFit };
  /** Memory growing outside the Go heap (cgo, mmap): Sys or RSS growing much faster than HeapInuse. */
  outsideHeap: { flagged: boolean; heapInuseGrowth: number; sysGrowth: number; rssGrowth: number | null; message: string };
  /** Top growth classified into known leak patterns, most bytes (or goroutines) first. */
  patterns: PatternFinding[];
  /** Heap growth and goroutine growth linked by shared frames: one leak, its goroutines' creator named. */
  growthLinks?: GrowthLinks;
  /** Built with `provenLeaks: true`: goroutines the runtime proved blocked forever, by stack, and their profiles. */
  provenLeaks?: ProvenLeaks & { profiles: { before?: string; after: string } };
}

/** Where the memory is, per phase (runtime.MemStats names). */
export interface PhaseFigures {
  phase: string;
  /** ms since the run started */
  startT: number;
  endT: number;
  heapInuse: { start: number; end: number; max: number };
  heapAlloc: { start: number; end: number; max: number };
  sys: { start: number; end: number };
  rss: { start: number | null; end: number | null };
  goroutines: { start: number; end: number; max: number };
  /** Bytes allocated during the phase (TotalAlloc difference): GC churn. */
  allocated: number;
  numGC: number;
  /** Total GC stop-the-world pause during the phase, ms, where the source reports it. */
  gcPauseMs?: number;
  /** Fraction of CPU used by the GC since the node started, at the phase's end, where reported. */
  gcCpuFraction?: number;
  /** A container's memory as its cgroup counts it (what a memory limit judges), on the container runtime. */
  container?: { usage: { start: number; end: number; max: number }; cache: { start: number | null; end: number | null } };
}

export interface RunSummary {
  scenario: string;
  file?: string;
  seed: number;
  verdict: Verdict;
  exitCode: 0 | 1 | 2 | 3 | 130;
  error: { message: string; detail?: string } | null;
  reportDir: string;
  startedAt: string;
  /** Wall time from start to verdict. */
  durationMs: number;
  /** What the scenario declares: warm-up + phases + cool-down. */
  declaredMs: number;
  nodes: NodeReport[];
  workloads: Array<WorkloadStats & { phase: string }>;
  budgets: BudgetResult[];
  events: RunEvent[];
  /** The planned timeline (seeded decisions): equal for equal scenario and seed. */
  timeline: string[];
  /** JSON lines of runtime samples, relative to the report folder. */
  samples: string;
  /** Workload progress over time, all workloads together, one point per sample interval. */
  throughput: ThroughputPoint[];
  /** The HTML report, relative to the report folder. */
  html?: string;
  /** With --load-stats: the load segments folded into `workloads` (docs/distributed-load.md). */
  segments?: SegmentsReport;
}

/** The load segments a judging run folded into its workload figures. */
export interface SegmentsReport {
  /** The --load-stats folder. */
  dir: string;
  /** Segments the load was split into (n of `i/n`). */
  count: number;
  /** Segments folded in, as 'i/n'. */
  folded: string[];
  /** Segments whose stats did not arrive: the load they should have sent is not in the figures. */
  missing: string[];
  /** The run's own segment, when it sent one (`run --segment`). */
  own?: string;
  /** Each segment's figures, as it reported them. */
  parts: Array<{
    segment: string;
    /** Its stats file; null for the run's own segment. */
    file: string | null;
    startedAt: string | null;
    endedAt: string | null;
    /** The load process's exit code (0: every phase ran). */
    exitCode: number;
    error: string | null;
    /** Its load ended before this run started (written before the run, not during it). */
    beforeRun: boolean;
    workloads: Array<WorkloadStats & { phase: string }>;
  }>;
  /** Stats files in the folder that were not folded in, and why. */
  invalid: Array<{ file: string; reason: string }>;
}

/** Cumulative workload counters at a moment; rates are differences between points. */
export interface ThroughputPoint {
  /** ms since the run started */
  t: number;
  phase: string;
  sent: number;
  accepted: number;
  failed: number;
  /** p95 submission latency of requests completed since the previous point, ms (null: none completed). */
  p95Ms: number | null;
}

