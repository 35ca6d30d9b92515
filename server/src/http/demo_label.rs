//! The label on spend answers of an organisation that holds Demo provider data: `demo: true`
//! and the notice, so no script or reader takes synthetic figures for real spend.

use serde_json::{Value, json};

use super::AppState;
use crate::Error;

/// `{"rows": rows}`, plus `demo` and `notice` when the organisation holds demo data.
pub(crate) async fn labelled_rows(
    state: &AppState,
    org_id: i64,
    rows: Vec<Value>,
) -> Result<axum::Json<Value>, Error> {
    let mut answer = json!({ "rows": rows });
    label(state, org_id, &mut answer).await?;
    Ok(axum::Json(answer))
}

/// Adds `demo` and `notice` to an answer object when the organisation holds demo data.
pub(crate) async fn label(state: &AppState, org_id: i64, answer: &mut Value) -> Result<(), Error> {
    if state.storage.has_demo_data(org_id).await?
        && let Some(object) = answer.as_object_mut()
    {
        object.insert("demo".into(), Value::Bool(true));
        object.insert("notice".into(), Value::from(crate::demo::DEMO_NOTICE));
    }
    Ok(())
}
