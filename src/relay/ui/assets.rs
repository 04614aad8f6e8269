//! The monitor UI's files, embedded gzipped by `build.rs` from `ui/` (feature `ui`).
//!
//! Each file is stored once, gzipped; a browser that does not accept gzip gets it
//! inflated on the fly, which only non-browser clients ever need.

/// One embedded file and the route it is served on.
pub(crate) struct Asset {
    /// The request path: `/` for the page, `/_remotedev/app.<hash>.{js,css}` for the rest.
    pub(crate) path: &'static str,
    pub(crate) content_type: &'static str,
    /// A quoted strong ETag: the first 16 hex digits of the SHA-256 of the content.
    pub(crate) etag: &'static str,
    pub(crate) gzip: &'static [u8],
}

#[cfg(feature = "ui")]
static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/ui/assets.rs"));
#[cfg(not(feature = "ui"))]
static ASSETS: &[Asset] = &[];

impl Asset {
    /// The file at `path`, if the UI is built in.
    pub(crate) fn find(path: &str) -> Option<&'static Asset> {
        ASSETS.iter().find(|a| a.path == path)
    }

    /// The page itself (`/`), if the UI is built in.
    pub(crate) fn page() -> Option<&'static Asset> {
        Asset::find("/")
    }

    /// The uncompressed content.
    pub(crate) fn inflate(&self) -> std::io::Result<Vec<u8>> {
        #[cfg(feature = "ui")]
        {
            use std::io::Read;
            let mut out = Vec::with_capacity(self.gzip.len() * 4);
            flate2::read::GzDecoder::new(self.gzip).read_to_end(&mut out)?;
            Ok(out)
        }
        #[cfg(not(feature = "ui"))]
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// Whether the UI was compiled in (the `ui` feature).
pub const BUILT_IN: bool = cfg!(feature = "ui");
