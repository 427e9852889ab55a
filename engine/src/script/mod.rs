//! Revision scripts: the files, the templates that write them, and the revision graph.

mod file;
pub mod graph;
pub mod graph_draw;
mod template;

pub(crate) use file::threads_for;
pub use file::{
    load_revision_files, load_revision_headers, parse_revision_text, RevisionBody, RevisionFile,
};
pub use template::{
    branch_label_problem, comment_lines, escape_controls, file_name, file_name_problem,
    generate_rev_id, list_templates, render_revision, rev_id_problem, slugify, valid_rev_id,
    RevisionTemplateInput, TemplateChoice, TemplateError, MAX_NAME_CHARS,
};
