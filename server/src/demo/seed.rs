//! Seeding a Demo integration — its telemetry through the OTLP receiver's HTTP front end (in
//! process, with a telemetry key of its own) and its written-off month — and purging every row
//! it made.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use demo_provider::{Demo, Export};
use otlp_receiver::{Receiver, ReceiverLimits, RecordKind, UsageSink};
use reconciler::reconcile::WriteOff;
use reconciler::{Catalogue, UtcDay};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::DEMO_SEED;
use crate::Error;
use crate::accounts::{Acting, create_telemetry_key};
use crate::storage::{Integration, Purged, Storage};

/// Exports sent at once: enough for the storage writer to commit them in groups.
const IN_FLIGHT: usize = 32;

/// What seeding stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeded {
    pub exports: usize,
}

/// The UTC day an integration was created: the day its demo was generated for.
pub fn generated_on(integration: &Integration) -> Result<UtcDay, Error> {
    UtcDay::from_unix_nanos(i128::from(integration.created_at_ms) * 1_000_000)
        .map_err(|e| Error::Invalid(format!("integration {}: {e}", integration.id)))
}

/// Sends the demo's telemetry through the receiver with a demo telemetry key, then writes off
/// the month the demo has written off (its variance as the reconciliation states it).
pub async fn seed(
    storage: &Arc<dyn Storage>,
    sink: Arc<dyn UsageSink>,
    acting: &Acting,
    integration: &Integration,
    demo: &Demo,
) -> Result<Seeded, Error> {
    let org_id = integration.org_id;
    let (key, secret) = create_telemetry_key(
        storage.as_ref(),
        org_id,
        "Demo telemetry (synthetic)",
        acting,
    )
    .await?;
    storage
        .mark_demo_key(org_id, key.id, integration.id)
        .await?;
    // The process's own usage writer: a writer of its own would open database connections on
    // a runtime that ends with it, and leave them broken in the shared pool.
    // A receiver of its own, sent to by this one organisation only: its whole capacity is
    // this organisation's share.
    let limits = ReceiverLimits {
        max_in_flight: IN_FLIGHT,
        max_in_flight_share: IN_FLIGHT,
        ..ReceiverLimits::default()
    };
    let router = otlp_receiver::http_router(Receiver::new(sink, limits));
    let mut sending = JoinSet::new();
    let mut exports = 0usize;
    for export in demo.telemetry() {
        if sending.len() >= IN_FLIGHT
            && let Some(sent) = sending.join_next().await
        {
            sent.map_err(|e| Error::Invalid(format!("sending demo telemetry: {e}")))??;
        }
        let request = Request::post(export.http_path())
            .header("content-type", "application/x-protobuf")
            .header("authorization", format!("Bearer {secret}"))
            .body(Body::from(export.to_protobuf()))
            .map_err(|e| Error::Invalid(format!("a demo export: {e}")))?;
        let router = router.clone();
        sending.spawn(async move {
            let Ok(answer) = router.oneshot(request).await;
            if answer.status() == StatusCode::OK {
                Ok(())
            } else {
                Err(Error::Invalid(format!(
                    "the receiver refused a demo export: HTTP {}",
                    answer.status()
                )))
            }
        });
        exports += 1;
    }
    while let Some(sent) = sending.join_next().await {
        sent.map_err(|e| Error::Invalid(format!("sending demo telemetry: {e}")))??;
    }

    let (provider, month) = demo.written_off();
    let rows =
        crate::spend::reconciliation(storage.as_ref(), &Catalogue::built_in(), org_id, &[month])
            .await?;
    if let Some(variance) = rows
        .iter()
        .find(|row| row.provider == provider)
        .and_then(|row| row.variance)
    {
        let write_off = WriteOff {
            provider: provider.clone(),
            month,
            variance,
        };
        let reason = "Demo: the negotiated OpenAI rate, accepted at month end";
        let audit = acting.entry(
            org_id,
            "spend.write_off",
            format!("{provider} {month}"),
            serde_json::json!({ "variance_usd": variance.to_string(), "reason": reason, "demo": true }),
        );
        storage
            .write_off(org_id, &write_off, reason, &audit)
            .await?;
        storage
            .mark_demo_write_off(
                org_id,
                &provider.to_string(),
                &month.to_string(),
                integration.id,
            )
            .await?;
    }
    tracing::warn!(
        org_id,
        integration = integration.id,
        exports,
        "seeded the Demo provider's synthetic telemetry and bills: not for production"
    );
    Ok(Seeded { exports })
}

/// The session markers the demo's events leave (scopes they cover): regenerated, since the
/// same seed and day give the same demo.
fn scopes(demo: &Demo) -> Vec<String> {
    let mut scopes: Vec<String> = demo
        .telemetry()
        .flat_map(|export| match export {
            Export::Logs(request) => {
                otlp_receiver::map_logs(&request, &otlp_receiver::WorkLimits::default()).records
            }
            Export::Traces(request) => {
                otlp_receiver::map_traces(&request, &otlp_receiver::WorkLimits::default()).records
            }
        })
        .flat_map(|record| match record.kind {
            RecordKind::Event { covers } => covers,
            _ => Vec::new(),
        })
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Deletes every row the Demo integration made and marks it removed (see `purge_demo`).
pub async fn purge(
    storage: &dyn Storage,
    acting: &Acting,
    integration: &Integration,
) -> Result<Purged, Error> {
    let demo = Demo::generate(DEMO_SEED, generated_on(integration)?);
    let audit = acting.entry(
        integration.org_id,
        "integration.purge",
        format!("integration:{}", integration.id),
        serde_json::json!({ "kind": "demo" }),
    );
    let purged = storage
        .purge_demo(integration.org_id, integration.id, &scopes(&demo), &audit)
        .await?;
    tracing::info!(
        org_id = integration.org_id,
        integration = integration.id,
        ?purged,
        "purged the Demo provider's data"
    );
    Ok(purged)
}
