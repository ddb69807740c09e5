// Go's zero time, which Harbor's API sends for "never" (an artifact never pulled, the
// creation time of its built-in Local registry); Berth sends it where Harbor does.
export const neverTime = '0001-01-01T00:00:00.000Z';
