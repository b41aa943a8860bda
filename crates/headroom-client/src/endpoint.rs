//! Where requests go: base-URL handling and the preflight that asks the server about
//! itself before a run.

use headroom_core::ApiFlavor;
use reqwest::Url;
use serde::Deserialize;

/// The URLs derived from the `--url` a user gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `{base}/v1/chat/completions` or `{base}/v1/completions`.
    pub completions: Url,
    /// `{base}/v1/models`.
    pub models: Url,
    /// `{base}/version` (vLLM reports its version there).
    pub version: Url,
}

/// The URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error(
        "invalid --url {url:?}: {reason} (expected e.g. http://127.0.0.1:8000 or https://host/proxy/v1)"
    )]
    Invalid {
        /// What was given.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A scheme other than http(s).
    #[error("unsupported scheme {scheme:?} in --url {url:?}: use http:// or https://")]
    Scheme {
        /// What was given.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// https without TLS support compiled in.
    #[error("--url {0:?} needs TLS, but this headroom was built without the `https` feature")]
    NoTls(String),
}

impl Endpoints {
    /// Resolves a base URL. The base path is kept (`http://host/proxy` →
    /// `http://host/proxy/v1/...`); a trailing `/v1`, or a full endpoint path such as
    /// `/v1/chat/completions`, is accepted and its base reused; a query string is kept.
    pub fn resolve(url: &str, api: ApiFlavor) -> Result<Endpoints, UrlError> {
        let parsed = Url::parse(url.trim()).map_err(|e| UrlError::Invalid {
            url: url.into(),
            reason: e.to_string(),
        })?;
        match parsed.scheme() {
            "http" => {}
            "https" if cfg!(feature = "https") => {}
            "https" => return Err(UrlError::NoTls(url.into())),
            s => {
                return Err(UrlError::Scheme {
                    url: url.into(),
                    scheme: s.into(),
                });
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::Invalid {
                url: url.into(),
                reason: "no host".into(),
            });
        }
        let mut path = parsed.path().trim_end_matches('/').to_string();
        for suffix in ["/chat/completions", "/completions", "/models"] {
            if let Some(p) = path.strip_suffix(suffix) {
                path = p.to_string();
                break;
            }
        }
        let root = path.strip_suffix("/v1").unwrap_or(&path).to_string();
        let v1 = format!("{root}/v1");
        let with = |p: &str| {
            let mut u = parsed.clone();
            u.set_path(p);
            u
        };
        Ok(Endpoints {
            completions: with(&format!("{v1}/{}", api.path())),
            models: with(&format!("{v1}/models")),
            version: {
                let mut u = with(&format!("{root}/version"));
                u.set_query(None);
                u
            },
        })
    }
}

/// `/v1/models` response.
#[derive(Debug, Deserialize)]
pub struct ModelList {
    /// The models.
    #[serde(default)]
    pub data: Vec<ModelEntry>,
}

/// One model of `/v1/models`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelEntry {
    /// Model id, as sent in requests.
    pub id: String,
    /// vLLM reports the context length.
    #[serde(default)]
    pub max_model_len: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str, api: ApiFlavor) -> (String, String, String) {
        let e = Endpoints::resolve(url, api).unwrap();
        (
            e.completions.to_string(),
            e.models.to_string(),
            e.version.to_string(),
        )
    }

    #[test]
    fn base_paths_are_kept() {
        assert_eq!(
            ep("http://127.0.0.1:8000", ApiFlavor::Chat),
            (
                "http://127.0.0.1:8000/v1/chat/completions".into(),
                "http://127.0.0.1:8000/v1/models".into(),
                "http://127.0.0.1:8000/version".into()
            )
        );
        assert_eq!(
            ep("http://host/proxy/v1", ApiFlavor::Completions).0,
            "http://host/proxy/v1/completions"
        );
        assert_eq!(
            ep("http://host/proxy/", ApiFlavor::Chat).0,
            "http://host/proxy/v1/chat/completions"
        );
        assert_eq!(
            ep("http://host/proxy/v1/chat/completions", ApiFlavor::Chat).1,
            "http://host/proxy/v1/models"
        );
        assert_eq!(
            ep("http://h:1/openai/v1?api-version=2", ApiFlavor::Chat).0,
            "http://h:1/openai/v1/chat/completions?api-version=2"
        );
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        let e = Endpoints::resolve("localhost:8000", ApiFlavor::Chat)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unsupported scheme") || e.contains("expected e.g."),
            "{e}"
        );
        let e = Endpoints::resolve("ftp://x", ApiFlavor::Chat)
            .unwrap_err()
            .to_string();
        assert!(e.contains("use http:// or https://"), "{e}");
        let e = Endpoints::resolve("not a url", ApiFlavor::Chat)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected e.g."), "{e}");
    }
}
