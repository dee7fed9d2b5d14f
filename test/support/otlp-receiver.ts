// The benchmark's OTLP receiver is the tests' too (one home: bench/src/span-receiver.ts).
export { type ReceivedSpan, startOtlpReceiver } from '../../bench/src/span-receiver.js';
