//! The Demo provider's bill source: the real Anthropic, OpenAI, Cursor and GitHub Copilot
//! pullers, pointed at an in-process server that speaks those admin APIs with the demo's bills,
//! so the demo's lines go through the same conversion and upsert as real ones.

use std::sync::Arc;
use std::time::Duration;

use billing::{
    BillingError, BillingSource, DayRange, HttpSettings, Pacer, Progress, Provider, Pulled, Secret,
    UtcDay,
};
use demo_provider::Demo;
use demo_provider::server::{self, DemoServer, credentials};

/// The seed every Demo integration generates its organisation from.
pub const DEMO_SEED: u64 = 20_261_122;

/// Pulls the demo generated on its day (the integration's creation day).
#[derive(Debug, Clone)]
pub struct DemoSource {
    demo: Arc<Demo>,
}

impl DemoSource {
    pub fn new(generated_on: UtcDay) -> DemoSource {
        DemoSource::of(Arc::new(Demo::generate(DEMO_SEED, generated_on)))
    }

    /// The source of a demo already generated (seeding reuses it).
    pub fn of(demo: Arc<Demo>) -> DemoSource {
        DemoSource { demo }
    }

    pub fn demo(&self) -> &Arc<Demo> {
        &self.demo
    }
}

fn unavailable(message: String) -> BillingError {
    BillingError::Unavailable {
        status: None,
        message,
    }
}

fn settings(server: &DemoServer, provider: &Provider) -> Result<HttpSettings, BillingError> {
    let base = server
        .base_url(provider)
        .ok_or_else(|| unavailable(format!("the demo serves no bill of {provider}")))?;
    let mut settings = HttpSettings::for_provider(provider.clone());
    settings.base_url = url::Url::parse(&base).map_err(|e| unavailable(format!("{base}: {e}")))?;
    Ok(settings)
}

fn sources(server: &DemoServer) -> Result<Vec<Box<dyn BillingSource>>, BillingError> {
    let secret = |text: &str| Secret::new(text.to_owned());
    Ok(vec![
        Box::new(billing::anthropic::AnthropicSource::new(
            secret(credentials::ANTHROPIC_ADMIN_KEY),
            settings(server, &Provider::Anthropic)?,
        )?),
        Box::new(billing::openai::OpenAiSource::new(
            secret(credentials::OPENAI_ADMIN_KEY),
            settings(server, &Provider::OpenAi)?,
        )?),
        // The in-process server has no rate limit to respect.
        Box::new(
            billing::cursor::CursorSource::new(
                secret(credentials::CURSOR_API_KEY),
                settings(server, &Provider::Cursor)?,
            )?
            .with_pacer(Arc::new(Pacer::new(100_000, Duration::from_secs(1)))),
        ),
        Box::new(billing::github::CopilotSource::new(
            secret(credentials::GITHUB_TOKEN),
            credentials::GITHUB_ORGANIZATION.to_owned(),
            settings(server, &Provider::GithubCopilot)?,
        )?),
    ])
}

#[async_trait::async_trait]
impl BillingSource for DemoSource {
    fn provider(&self) -> Provider {
        Provider::Other("demo".into())
    }

    fn earliest_day(&self, _today: UtcDay) -> UtcDay {
        self.demo.first_day()
    }

    async fn pull(&self, range: DayRange, progress: &dyn Progress) -> Result<Pulled, BillingError> {
        let server = server::start(&self.demo)
            .await
            .map_err(|e| unavailable(format!("starting the demo provider: {e}")))?;
        let mut all = Pulled::default();
        for source in sources(&server)? {
            let pulled = source.pull(range, progress).await?;
            all.requests = all.requests.saturating_add(pulled.requests);
            all.lines.extend(pulled.lines);
        }
        server.shutdown().await;
        Ok(all)
    }
}
