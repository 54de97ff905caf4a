export {
  ProfileError,
  readProfile,
  sampleTypes,
  findSampleTypeIndex,
  sampleTypeIndex,
  totals,
  sampleTotal,
  sampleStack,
  toNumber,
} from './profile.ts';
export type { Profile, ProfileSample, SampleType, ReadProfileOptions } from './profile.ts';
export { diffTop, top, sortTopRows, diffHeap, heapTotals } from './heap-diff.ts';
export type { FunctionGrowth, TopTable, TopOptions, HeapDiff, HeapDiffOptions, HeapGrowth, HeapTotals } from './heap-diff.ts';
export { diffGoroutines, goroutineTotal, goroutineGroups, goroutineSampleIndex } from './goroutine-diff.ts';
export type { GoroutineDiff, GoroutineDiffOptions, GoroutineGroup } from './goroutine-diff.ts';
export { linkGrowth, GOROUTINE_STACK_MIN } from './growth-link.ts';
export type { GrowthLinkInput, GrowthLinks, GrowthLink, GrowingGoroutines, HeapSite } from './growth-link.ts';
export { goroutineCreators, creatorOf, creatorFromClosure, creatorKey, readGoroutineDump } from './goroutine-dump.ts';
export type { GoroutineCreators } from './goroutine-dump.ts';
export { provenLeaks, provenLeakGroups, readProvenLeaks, describeProvenLeaks } from './proven-leaks.ts';
export type { ProvenLeaks, ProvenLeakStack, ProvenLeaksOptions } from './proven-leaks.ts';
