export { compareResponse, subsetMismatches, type ExpectedResponse, type Mismatch } from './compare.js';
export { DEFAULT_CLIENT_IP, factsOf, playRequest, responseFacts, type ObservedResponse, type ScenarioRequest, type UpstreamAnswer } from './observe.js';
export { applyOperation, playScenario, seedAccounts, type AccountOperation, type AccountSeed, type PlayableScenario, type ScenarioOutcome, type ScenarioStep, type StepFailure } from './run.js';
