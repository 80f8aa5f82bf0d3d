/** The broker could not be reached or did not answer in time; the operation may be retried later. */
export class EventsUnavailableError extends Error {
  override readonly name = 'EventsUnavailableError';
  readonly code = 'EVENTS_UNAVAILABLE';
}

/** The bus was closed; nothing more can be published or subscribed on it. */
export class EventBusClosedError extends Error {
  override readonly name = 'EventBusClosedError';
  readonly code = 'EVENT_BUS_CLOSED';
}
