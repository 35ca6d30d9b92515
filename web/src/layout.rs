//! The frame of every page: document head, header with organisation and user, navigation,
//! the demo banner and the action's notice; the page's own content goes in `<main>`.

use leptos::prelude::*;

use crate::data::{Notice, Viewer};

/// Who may open a page of the navigation.
type Shown = fn(&Viewer) -> bool;

/// The navigation entries, as (section, label, path, shown to whom): a page the viewer may not
/// open is left out rather than shown to be refused.
const NAV: [(&str, &str, &str, Shown); 7] = [
    ("Spend", "Reconciliation", "/spend/reconciliation", |_| true),
    ("Spend", "Attribution", "/spend/attribution", |_| true),
    ("AI", "Providers", "/ai/providers", |_| true),
    (
        "Settings → AI",
        "Usage Providers",
        "/settings/ai/usage-providers",
        |_| true,
    ),
    (
        "Settings → AI",
        "Telemetry Keys",
        crate::telemetry_keys::PATH,
        |v| v.can_manage_keys,
    ),
    ("Settings", "Users", crate::users::PATH, |v| {
        v.can_manage_users
    }),
    ("Settings", "Audit log", crate::audit::PATH, |v| {
        v.can_read_audit
    }),
];

#[component]
fn Header(viewer: Viewer, current: &'static str) -> impl IntoView {
    let links = NAV
        .iter()
        .filter(|(.., shown)| shown(&viewer))
        .map(|(section, label, path, _)| {
            let here = *path == current;
            view! {
                <li>
                    <a href=*path aria-current=here.then_some("page")>
                        <span class="section">{*section}</span>
                        " "
                        {*label}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <header class="top">
            <p class="org">
                <strong>{viewer.organization}</strong>
                " · "
                <span class="user">{viewer.email}</span>
                " ("
                {viewer.role}
                ")"
            </p>
            <form method="post" action="/logout" class="signout">
                <button type="submit">"Sign out"</button>
            </form>
            <nav aria-label="Main">
                <ul>{links}</ul>
            </nav>
        </header>
    }
}

#[component]
fn NoticeView(notice: Option<Notice>) -> impl IntoView {
    notice.map(|notice| match notice {
        Notice::Success(text) => {
            view! { <p class="notice success" role="status" id="notice">{text}</p> }.into_any()
        }
        Notice::Error(text) => {
            view! { <p class="notice error" role="alert" id="notice">{text}</p> }.into_any()
        }
    })
}

/// A whole HTML document: `title` names the page (and the period, where it has one).
pub fn document(
    title: &str,
    viewer: Viewer,
    current: &'static str,
    notice: Option<Notice>,
    content: AnyView,
) -> String {
    let title = format!("{title} · reckon");
    let demo = viewer.demo_notice.clone().map(|text| {
        view! {
            <p class="demo-banner" role="note">
                <strong>"Demo data. "</strong>
                {text}
            </p>
        }
    });
    let body = view! {
        <a class="skip" href="#content">"Skip to content"</a>
        <Header viewer=viewer current=current/>
        {demo}
        <main id="content" tabindex="-1">
            <NoticeView notice=notice/>
            {content}
        </main>
    }
    .to_html();
    let title = view! { <title>{title}</title> }.to_html();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{title}\
         <link rel=\"stylesheet\" href=\"/assets/reckon.css\">\
         <script src=\"/assets/reckon.js\" defer></script></head><body>{body}</body></html>"
    )
}
