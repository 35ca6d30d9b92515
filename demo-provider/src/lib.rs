//! reckon's demo provider: a deterministic synthetic organisation (arrives with the demo issue).
