//! reckon's OTLP receiver: gRPC and HTTP ingest of AI coding tools' telemetry (arrives with the receiver issue).
