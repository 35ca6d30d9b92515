//! reckon's web UI: Leptos pages rendered on the server (arrives with the web UI issue).
