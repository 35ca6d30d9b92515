//! The web UI in a real browser (headless Chromium) against the real server: sign in, add the
//! Demo provider and Test it, a wrong Anthropic key shows the provider's own message with the
//! form kept (the key not echoed), a telemetry key's export shows in Attribution, a provider's
//! month by person, write off a month and find it in the audit log, add a user and change their
//! role, the pages at phone width, remove the demo with its data, sign out. A screenshot of
//! every page is saved in a folder the test prints.

use reckon_server::auth::Role;
use reckon_tests::browser::{TestBrowser, chromium};
use reckon_tests::fake_anthropic::FakeAnthropic;
use reckon_tests::{PASSWORD, TestApp, TestDatabase, add_member, require};
use reqwest::Method;

#[tokio::test]
async fn an_owner_runs_the_month_end_in_the_browser() {
    let Some(binary) = require(
        "Chromium",
        chromium(),
        "install Debian's `chromium` package (or set RECKON_TEST_CHROMIUM)",
    ) else {
        return;
    };
    let db = TestDatabase::sqlite();
    let storage = db.storage().await;
    let org = storage.ensure_default_organization().await.unwrap().id;
    let owner = add_member(storage.as_ref(), org, Role::Owner, "owner@example.com").await;
    storage.close().await;
    let anthropic = FakeAnthropic::start().await;
    let ca_file = anthropic.ca_file();
    let app = TestApp::spawn_with(
        &db,
        &[
            "--anthropic-base-url",
            &anthropic.base_url,
            "--ca-file",
            &ca_file,
        ],
        &[],
    )
    .await;
    let base = format!("http://{}", app.http_addr);
    let shots = std::env::temp_dir().join(format!("reckon-ui-screenshots-{}", std::process::id()));
    println!("screenshots: {}", shots.display());
    let browser =
        TestBrowser::launch(&binary, &format!("{base}/spend/reconciliation"), shots).await;

    // Signed out, a page sends the browser to sign in.
    browser.wait_for_path("/login").await;
    browser.screenshot("01-sign-in").await;
    browser.fill("Email", "owner@example.com").await;
    browser.fill("Password", PASSWORD).await;
    browser.click("Sign in").await;
    browser.wait_for("#whoami").await;
    browser.click("Settings → AI → Usage Providers").await;
    browser.wait_for_path("/settings/ai/usage-providers").await;
    assert!(browser.text().await.contains("No usage provider yet"));
    browser.screenshot("02-usage-providers-empty").await;

    // Add the Demo provider: its warning badge shows.
    browser.click("Add Provider").await;
    browser
        .click("Demo (synthetic data, not for production)")
        .await;
    browser.wait_for("form.add-provider").await;
    browser.screenshot("03-add-demo").await;
    browser.click("Save").await;
    let notice = browser.wait_for("#notice").await;
    assert!(notice.contains("Connected Demo"), "{notice}");
    let page = browser.text().await;
    assert!(page.contains("Demo data — not for production"), "{page}");
    browser.screenshot("04-demo-added").await;

    // Test it.
    browser.click("Test").await;
    browser.wait_for_path("/test").await;
    let notice = browser.wait_for("#notice").await;
    assert!(notice.starts_with("Test succeeded"), "{notice}");

    // A wrong Anthropic key: the provider's own message, the form kept, the key not echoed.
    browser
        .goto(&format!("{base}/settings/ai/usage-providers?add=anthropic"))
        .await;
    browser.wait_for("form.add-provider").await;
    browser
        .fill("Admin API key", "sk-ant-admin01-wrong-key-0000")
        .await;
    browser.click("Save").await;
    let notice = browser.wait_for("#notice.error").await;
    assert!(notice.contains("invalid x-api-key"), "{notice}");
    let html = browser.page.content().await.unwrap();
    assert!(
        html.contains("class=\"add-provider\""),
        "the form is kept open"
    );
    assert!(!html.contains("wrong-key"), "the key is never echoed back");
    browser.screenshot("05-anthropic-refused").await;

    // A telemetry key, shown once with its setup; a recorded Claude Code export sent with it
    // shows up in Attribution with the tool's own cost.
    browser.click("Settings → AI Telemetry Keys").await;
    browser.wait_for_path("/settings/ai/telemetry-keys").await;
    browser.fill("New key name", "laptops").await;
    browser.click("Create key").await;
    browser.wait_for(".new-key").await;
    let key = browser.value_of("#new-key").await;
    assert!(key.starts_with("rk_tel_"), "{key}");
    // The script's enhancement: a Copy button beside the key and each setup snippet.
    let copy = browser.wait_for("#new-key + button.copy").await;
    assert_eq!(copy, "Copy");
    browser.grant_clipboard(&base).await;
    browser
        .click_xpath("//input[@id='new-key']/following-sibling::button[1]")
        .await;
    let copied = browser
        .wait_for_change("#new-key + button.copy", "Copy")
        .await;
    assert_eq!(copied, "Copied", "the button says what happened");
    let page = browser.text().await;
    assert!(
        page.contains(&format!(
            "http://127.0.0.1:{}/v1/logs",
            app.otlp_http_addr.port()
        )),
        "{page}"
    );
    browser.screenshot("06-telemetry-key-created").await;
    reckon_tests::otlp::replay(&app, "claude-code-2.1.328-http-json-delta.jsonl", &key).await;
    browser
        .goto(&format!(
            "{base}/spend/attribution?from=2026-11-01&to=2026-11-30&group_by=person"
        ))
        .await;
    browser.wait_for("table").await;
    let page = browser.text().await;
    // The recorded developer (identified by Claude Code's user.id) and the tool's own cost.
    let developer = "e0fbd3cfa5449823f6c1eff4afacefdf2c30da1f4dd129bdc1bd3002123345ca";
    assert!(
        page.lines()
            .any(|line| line.starts_with(developer) && line.contains("0.00663 USD")),
        "{page}"
    );
    browser.screenshot("07-attribution").await;

    // The providers inventory: billed and seen, or billed without telemetry.
    browser.click("AI Providers").await;
    browser.wait_for_path("/ai/providers").await;
    let page = browser.text().await;
    let row = |page: &str, provider: &str| {
        page.lines()
            .find(|line| line.starts_with(provider))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row(&page, "anthropic").contains("CONNECTED"), "{page}");
    assert!(
        row(&page, "github_copilot").contains("BILLING ONLY"),
        "{page}"
    );
    browser.screenshot("08-ai-providers").await;

    // Reconciliation of the demo month: every provider's row, and a write-off.
    browser.goto(&format!("{base}/spend/reconciliation")).await;
    browser.wait_for("table.summary").await;
    let page = browser.text().await;
    for provider in ["anthropic", "openai", "cursor", "github_copilot", "google"] {
        assert!(page.contains(provider), "{provider} missing: {page}");
    }
    assert!(
        page.contains("provider_removed") && page.contains("priority_tier"),
        "{page}"
    );
    browser.screenshot("09-reconciliation").await;

    // Cursor's bill names people: its month by person, both sides per person. The page shows
    // the current month, where the demo's data is (read from its heading, so the test holds
    // whatever month it runs in).
    let month = page
        .split("Reconciliation — ")
        .nth(1)
        .and_then(|rest| rest.get(..7))
        .unwrap_or_else(|| panic!("no month in the heading: {page}"));
    browser
        .click(&format!("By person: cursor in {month}"))
        .await;
    browser.wait_for_path("/spend/reconciliation/people").await;
    let page = browser.wait_for("main").await;
    assert!(
        page.contains("Billed against observed per person"),
        "{page}"
    );
    assert!(page.contains("@demo.example"), "{page}");
    browser.screenshot("09b-cursor-by-person").await;
    browser.goto(&format!("{base}/spend/reconciliation")).await;
    browser.wait_for("table.summary").await;
    browser
        .fill(
            "Reason for writing off github_copilot",
            "seats without telemetry, accepted",
        )
        .await;
    browser.click_xpath("//section[@id='provider-github_copilot']//button[starts-with(normalize-space(.), 'Write off')]").await;
    let notice = browser.wait_for("#notice").await;
    assert!(notice.starts_with("Wrote off"), "{notice}");
    browser.screenshot("10-written-off").await;
    browser.click("Settings Audit log").await;
    browser.wait_for_path("/settings/audit-log").await;
    let page = browser.wait_for("main").await;
    let entry = page
        .lines()
        .find(|line| line.contains("spend.write_off"))
        .unwrap_or_else(|| panic!("no write-off in the audit log: {page}"));
    assert!(
        entry.contains("owner@example.com") && entry.contains("seats without telemetry"),
        "{entry}"
    );
    browser.screenshot("10b-audit-log").await;

    // Settings → Users: add a finance user (the generated password shown once), make them a
    // viewer, then disable them behind a confirmation.
    browser.click("Settings Users").await;
    browser.wait_for_path("/settings/users").await;
    browser.fill("Email", "fin@example.com").await;
    browser.select("#user-role", "finance").await;
    browser.click("Add user").await;
    browser.wait_for(".new-key").await;
    let password = browser.value_of("#new-password").await;
    assert!(password.len() >= 16, "a generated password: {password:?}");
    let page = browser.text().await;
    let listed = row(&page, "fin@example.com");
    assert!(
        listed.contains("finance") && listed.contains("Active"),
        "{page}"
    );
    browser.screenshot("10c-user-added").await;
    let fin = app
        .send(app.authed(Method::GET, "/api/v1/users", &owner.token))
        .await
        .json::<serde_json::Value>()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "fin@example.com")
        .map(|u| u["id"].as_i64().unwrap())
        .unwrap();
    browser.select(&format!("#role-{fin}"), "viewer").await;
    browser
        .click_xpath(&format!(
            "//form[@action='/settings/users/{fin}/role']//button"
        ))
        .await;
    let notice = browser.wait_for("#notice").await;
    assert_eq!(notice, "fin@example.com is now viewer.");
    browser
        .click_xpath(&format!("//a[@href='/settings/users/{fin}/disable']"))
        .await;
    let confirm = browser.wait_for("main").await;
    assert!(confirm.contains("Disable fin@example.com?"), "{confirm}");
    browser
        .click_xpath("//main//button[normalize-space(.)='Disable']")
        .await;
    let notice = browser.wait_for("#notice").await;
    assert!(notice.starts_with("Disabled fin@example.com"), "{notice}");
    browser.screenshot("10d-user-disabled").await;

    // At phone width (390 px) the pages fit: wide tables scroll inside themselves. (A full-page
    // screenshot resets the viewport, so it is set again for every page.)
    for (name, path) in [
        ("10e-phone-reconciliation", "/spend/reconciliation"),
        (
            "10f-phone-attribution",
            "/spend/attribution?from=2026-11-01&to=2026-11-30",
        ),
        ("10g-phone-usage-providers", "/settings/ai/usage-providers"),
        ("10h-phone-users", "/settings/users"),
    ] {
        browser.set_width(390).await;
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_for("main").await;
        let width: i64 = browser
            .page
            .evaluate("document.documentElement.clientWidth")
            .await
            .unwrap()
            .into_value()
            .unwrap();
        assert_eq!(width, 390, "{path} measured at phone width");
        let overflow = browser.page_overflow().await;
        assert_eq!(
            overflow, 0,
            "{path} is wider than the phone by {overflow} px"
        );
        browser.screenshot(name).await;
    }
    browser.set_width(1280).await;

    // Remove the demo with its data, behind a confirmation that says what is kept.
    browser
        .goto(&format!("{base}/settings/ai/usage-providers"))
        .await;
    browser.click("Remove…").await;
    let confirm = browser.wait_for("main").await;
    assert!(confirm.contains("Its history is kept"), "{confirm}");
    browser.screenshot("11-remove-confirm").await;
    browser
        .click_xpath("//main//button[normalize-space(.)='Remove']")
        .await;
    let notice = browser.wait_for("#notice").await;
    assert!(notice.contains("deleted its demo data"), "{notice}");
    browser.screenshot("12-removed").await;

    // Without the demo, the recorded Claude Code usage is a monitoring gap with a way to close it.
    browser.goto(&format!("{base}/ai/providers")).await;
    browser.wait_for("table").await;
    let page = browser.text().await;
    assert!(row(&page, "anthropic").contains("TELEMETRY ONLY"), "{page}");
    assert!(page.contains("Connect anthropic"), "{page}");
    browser.screenshot("14-ai-providers-gap").await;

    // Sign out: pages send the browser to sign in again.
    browser.click("Sign out").await;
    browser.wait_for_path("/login").await;
    browser.screenshot("15-signed-out").await;
    browser.goto(&format!("{base}/spend/reconciliation")).await;
    browser.wait_for_path("/login").await;
    browser.close().await;
    app.stop().await;
}
