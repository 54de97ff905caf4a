// `import 'chainsoak/mocha'`: mocha helpers over the same instance as `import 'chainsoak'`.
import { implementation } from './implementation.js';
import './index.js';

export const { assertNoLeaks, itRunsScenario, ScenarioFailed } = await import(implementation('library/mocha'));
