//! Revision scripts: the files, the templates that write them, and the revision graph.

mod file;
pub mod graph;
mod template;

pub use file::{load_revision_files, parse_revision_text, RevisionBody, RevisionFile};
pub use template::{
    file_name, generate_rev_id, list_templates, render_revision, slugify, valid_rev_id,
    RevisionTemplateInput, TemplateChoice,
};
