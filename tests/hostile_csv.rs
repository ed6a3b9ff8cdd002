//! Hostile CSV inputs (tests/hostile/csv): each gives a typed error or a documented repair (work in progress).
