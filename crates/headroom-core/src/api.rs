//! API flavours of OpenAI-compatible servers.

use serde::{Deserialize, Serialize};

/// Which OpenAI-compatible endpoint a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiFlavor {
    /// `POST {base}/v1/chat/completions` with `messages`.
    #[default]
    Chat,
    /// `POST {base}/v1/completions` with `prompt`.
    Completions,
}

impl ApiFlavor {
    /// The path below the `/v1` base, without a leading slash.
    pub fn path(self) -> &'static str {
        match self {
            ApiFlavor::Chat => "chat/completions",
            ApiFlavor::Completions => "completions",
        }
    }
}

impl std::fmt::Display for ApiFlavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApiFlavor::Chat => "chat",
            ApiFlavor::Completions => "completions",
        })
    }
}
