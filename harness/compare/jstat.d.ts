// jstat ships no types; this declares the one function chainsoak uses.
declare module 'jstat' {
  const jStat: {
    studentt: {
      /** Quantile (inverse CDF) of Student's t distribution with `dof` degrees of freedom (fractional allowed). */
      inv(p: number, dof: number): number;
    };
  };
  export default jStat;
}
