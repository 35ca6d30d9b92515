//! The demo organisation: five teams, about forty people, which tools each uses and how much.

use reconciler::Tool;

use crate::rng::{Rng, hash};

/// Where the demo's people work.
pub const DOMAIN: &str = "demo.example";

/// A team, with the `team.id` its machines put into `OTEL_RESOURCE_ATTRIBUTES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: &'static str,
    pub name: &'static str,
    pub department: &'static str,
    pub size: usize,
}

/// The teams, in a fixed order. `data` is the team whose machines send no telemetry.
pub const TEAMS: [Team; 5] = [
    Team {
        id: "platform",
        name: "Platform",
        department: "engineering",
        size: 9,
    },
    Team {
        id: "payments",
        name: "Payments",
        department: "engineering",
        size: 8,
    },
    Team {
        id: "mobile",
        name: "Mobile",
        department: "engineering",
        size: 8,
    },
    Team {
        id: "data",
        name: "Data",
        department: "analytics",
        size: 7,
    },
    Team {
        id: "growth",
        name: "Growth",
        department: "product",
        size: 8,
    },
];

/// The team whose machines never export telemetry: its Anthropic usage is billed, not observed.
pub const UNTRACKED_TEAM: &str = "data";

const FIRST_NAMES: [&str; 48] = [
    "ada", "alan", "amara", "anders", "aiko", "bea", "bruno", "carla", "chen", "dario", "dina",
    "eli", "elena", "femi", "farah", "gus", "greta", "hana", "hugo", "ines", "ivan", "jonas",
    "julia", "kai", "kofi", "lena", "luca", "maya", "mateo", "nia", "noor", "olga", "omar",
    "priya", "paolo", "quinn", "rosa", "ravi", "sara", "sven", "tara", "tomas", "uma", "vera",
    "wei", "yara", "yusuf", "zoe",
];

const LAST_NAMES: [&str; 40] = [
    "adams",
    "baker",
    "costa",
    "dubois",
    "eriksen",
    "fischer",
    "garcia",
    "hansen",
    "ito",
    "jensen",
    "kowalski",
    "lopez",
    "moreau",
    "nakamura",
    "okafor",
    "petrov",
    "quint",
    "rossi",
    "schmidt",
    "tanaka",
    "usman",
    "varga",
    "weber",
    "xu",
    "yilmaz",
    "zhang",
    "novak",
    "silva",
    "haddad",
    "lindqvist",
    "mensah",
    "oliveira",
    "park",
    "reyes",
    "sato",
    "brennan",
    "kaur",
    "moller",
    "abbott",
    "ferreira",
];

const TERMINALS: [(&str, u64); 4] = [("vscode", 4), ("iTerm.app", 3), ("tmux", 2), ("cursor", 1)];

/// One person of the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// `Ada Lovelace`.
    pub name: String,
    /// `ada.lovelace@demo.example`: unique.
    pub email: String,
    /// The team's id.
    pub team: &'static str,
    /// The AI tools the person uses, the main one first.
    pub tools: Vec<Tool>,
    /// How much the person uses them: 100 for a typical user, 300–500 for the heavy ones.
    pub activity_percent: u64,
    /// Claude Code's `user.account_uuid`.
    pub account_uuid: String,
    /// Claude Code's `user.id` (a per-install hash).
    pub user_id: String,
    /// Cursor's `cursor.user.id`, an opaque team-scoped number.
    pub cursor_user_id: i64,
    /// The GitHub login, for people with a Copilot seat.
    pub github_login: Option<String>,
    /// `terminal.type` of their sessions.
    pub terminal: &'static str,
    /// Their usual working hours in UTC, `start..end`.
    pub hours: (u64, u64),
    /// Whether their machines export telemetry at all.
    pub exports_telemetry: bool,
}

impl Person {
    pub fn uses(&self, tool: Tool) -> bool {
        self.tools.contains(&tool)
    }

    /// The tool used most (every person has one).
    pub fn main_tool(&self) -> Option<Tool> {
        self.tools.first().copied()
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The tools of a member of `team`: the team's main tool, then others by chance.
fn tools_for(team: &str, rng: &mut Rng) -> (Vec<Tool>, bool) {
    let (main, others, copilot): (Tool, &[(Tool, u64)], bool) = match team {
        "platform" => (
            Tool::ClaudeCode,
            &[(Tool::Codex, 40), (Tool::Cursor, 30)],
            false,
        ),
        "payments" => (
            Tool::ClaudeCode,
            &[(Tool::Cursor, 50), (Tool::Codex, 25)],
            false,
        ),
        "mobile" => (
            Tool::Cursor,
            &[(Tool::ClaudeCode, 40), (Tool::GeminiCli, 35)],
            true,
        ),
        "growth" => (
            Tool::Codex,
            &[(Tool::GeminiCli, 60), (Tool::ClaudeCode, 30)],
            true,
        ),
        _ => (Tool::ClaudeCode, &[], false),
    };
    let mut tools = vec![main];
    for (tool, percent) in others {
        if rng.chance(*percent) {
            tools.push(*tool);
        }
    }
    (tools, copilot)
}

/// The organisation's people, team by team.
pub(crate) fn people(seed: u64) -> Vec<Person> {
    let mut rng = Rng::stream(seed, &[0x0e09]);
    let mut people: Vec<Person> = Vec::new();
    for team in TEAMS {
        for _ in 0..team.size {
            let (first, last) = loop {
                let first = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
                let last = LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize];
                let email = format!("{first}.{last}@{DOMAIN}");
                if !people.iter().any(|p| p.email == email) {
                    break (first, last);
                }
            };
            let (tools, copilot) = tools_for(team.id, &mut rng);
            let start = rng.between(7, 10);
            let index = people.len() as u64;
            people.push(Person {
                name: format!("{} {}", capitalised(first), capitalised(last)),
                email: format!("{first}.{last}@{DOMAIN}"),
                team: team.id,
                tools,
                activity_percent: 100,
                account_uuid: rng.uuid(),
                user_id: rng.hex(32),
                cursor_user_id: i64::try_from(hash(seed, &[0xc0, index]) % 90_000_000).unwrap_or(0)
                    + 10_000_000,
                github_login: copilot.then(|| format!("{first}-{last}")),
                terminal: rng.weighted(&TERMINALS).unwrap_or("vscode"),
                hours: (start, start + rng.between(8, 9)),
                exports_telemetry: team.id != UNTRACKED_TEAM,
            });
        }
    }
    ensure_gemini_users(&mut people);
    make_heavy_users(&mut people, &mut rng);
    people
}

/// The unpriced-model case needs Gemini CLI users with telemetry: at least three.
fn ensure_gemini_users(people: &mut [Person]) {
    let mut count = people
        .iter()
        .filter(|p| p.exports_telemetry && p.uses(Tool::GeminiCli))
        .count();
    for person in people.iter_mut().filter(|p| p.team == "growth") {
        if count >= 3 {
            break;
        }
        if !person.uses(Tool::GeminiCli) {
            person.tools.push(Tool::GeminiCli);
            count += 1;
        }
    }
}

/// A few people use their tools three to five times as much as everyone else.
fn make_heavy_users(people: &mut [Person], rng: &mut Rng) {
    const HEAVY: [u64; 4] = [300, 350, 400, 500];
    for (team, activity) in ["platform", "mobile", "growth", "payments"]
        .into_iter()
        .zip(HEAVY)
    {
        let members: Vec<usize> = (0..people.len())
            .filter(|i| people[*i].team == team)
            .collect();
        // Not the team's first member: the variance cases pick first members, and a heavy user
        // there would drown them out.
        let pick = members
            .get(1 + rng.below(members.len().saturating_sub(1) as u64) as usize)
            .copied();
        if let Some(index) = pick {
            people[index].activity_percent = activity;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_people_in_five_teams_with_unique_emails() {
        let people = people(42);
        assert_eq!(people.len(), 40);
        let mut emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), 40);
        assert!(people.iter().all(|p| p.email.ends_with("@demo.example")));
        assert!(people.iter().all(|p| !p.tools.is_empty()));
        assert_eq!(
            people.iter().filter(|p| p.activity_percent > 100).count(),
            4
        );
        assert!(
            people
                .iter()
                .filter(|p| p.team == UNTRACKED_TEAM)
                .all(|p| !p.exports_telemetry && p.tools == [Tool::ClaudeCode])
        );
    }
}
