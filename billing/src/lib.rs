//! reckon's billing pullers: one module per provider admin API (arrives with the usage-providers issue).
