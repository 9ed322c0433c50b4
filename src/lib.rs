//! `explainer`: a static-site generator for explainers — sites that lay out a
//! contested news event claim by claim, with every citation and quotation
//! checked against its source at build time.
//!
//! The pipeline runs load ([`content`], [`editorial`], [`archive`]) → render
//! ([`markdown`], [`render`], [`templates`]) → [`verify`] → write
//! ([`output`]); [`pipeline::run`] drives it for `build`, `check` and
//! [`serve`] (on every edit), passing the [`state`] of one run to the next.

// Diagnostics are returned by value on the error path only; boxing them buys nothing measurable.
#![allow(clippy::result_large_err)]

pub mod aliases;
pub mod archive;
pub mod cache;
pub mod cli;
pub mod config;
pub mod content;
pub mod data;
pub mod date;
pub mod diagnostics;
pub mod editorial;
pub mod feeds;
pub mod frontmatter;
pub mod highlight;
pub mod html;
pub mod huge_pages;
pub mod images;
pub mod lazy;
pub mod limits;
pub mod listing;
pub mod markdown;
pub mod output;
pub mod pagination;
pub mod pipeline;
pub mod quotation;
pub mod registry;
pub mod render;
pub mod search;
pub mod serve;
pub mod share_card;
pub mod shortcodes;
pub mod stamp;
pub mod starter;
pub mod state;
pub mod taxonomies;
pub mod templates;
pub mod urls;
pub mod verify;
pub mod view;
