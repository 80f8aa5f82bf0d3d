// Business days live in @single/contracts, shared with the artist API and the demo (one definition).
export { businessDate, isClosedDay } from '@single/contracts';
