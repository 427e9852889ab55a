//! Pictures: `history --graph` and `history --format dot|mermaid` (the revision graph),
//! `reflect --format dot|mermaid` and `reflect --from-schema` (the schema as an
//! entity-relationship diagram).

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::autogenerate::{unmodelled_comment, Autogenerate};
use retort_engine::db::Connection;
use retort_engine::project::Project;
use retort_engine::reflect::UnmodelledObject;
use retort_engine::schema::{diagram, load_schema, schema_to_yaml, Schema};
use retort_engine::script::graph::RevisionNode;
use retort_engine::script::graph_draw;

use crate::args::{Cli, Format};
use crate::revision_display::Revisions;
use crate::style::{paint, Colour, Stream};

/// Draws `nodes` (newest first) in the format asked for: the terminal graph (`--graph`,
/// text), Graphviz or Mermaid.
pub fn history(cli: &Cli, project: &Project, nodes: &[&RevisionNode], marked: &[String]) {
    match cli.format {
        Format::Dot => print!("{}", graph_draw::to_dot(&project.graph, nodes)),
        Format::Mermaid => print!("{}", graph_draw::to_mermaid(nodes)),
        Format::Text | Format::Json => {
            let view = Revisions::new(project, marked);
            let text = |n: &RevisionNode| {
                let line = view.graph_line(&n.id);
                let id = paint(Stream::Stdout, Colour::Yellow, &n.id);
                let line = line.replacen(&n.id, &id, 1);
                line.replacen(
                    " (head)",
                    &format!(" {}", paint(Stream::Stdout, Colour::Green, "(head)")),
                    1,
                )
            };
            print!("{}", graph_draw::draw_ascii(nodes, &text));
        }
    }
}

/// `reflect` with `--format dot|mermaid` or `--from-schema`.
pub async fn reflect(cli: &Cli, project: &Project, from_schema: bool) -> Result<ExitCode> {
    let (schema, unmodelled): (Schema, Vec<UnmodelledObject>) = if from_schema {
        let schema = load_schema(&project.config.schema, &project.config.naming_convention)
            .map_err(|d| anyhow!("invalid schema {}:\n{d}", project.config.schema.display()))?
            .0;
        (schema, Vec::new())
    } else {
        let url = project.config.url(cli.url.as_deref());
        let mut conn = Connection::connect_read_only(&url).await?;
        let schema = Autogenerate::reflect(project, &mut conn).await;
        let unmodelled = match schema {
            Ok(_) => Autogenerate::unmodelled(project, &mut conn).await,
            Err(_) => Ok(Vec::new()),
        };
        conn.close().await;
        (schema.map_err(|e| anyhow!(e))?, unmodelled?)
    };
    // The objects retort does not model, as comments in each format's own syntax, after
    // the first line (Mermaid's `erDiagram`, Graphviz's `digraph … {`).
    let after_first_line = |picture: String, comment: String| match picture.split_once('\n') {
        Some((first, rest)) => format!("{first}\n{comment}{rest}"),
        None => format!("{picture}{comment}"),
    };
    match cli.format {
        Format::Mermaid => print!(
            "{}",
            after_first_line(
                diagram::to_mermaid(&schema),
                unmodelled_comment(&unmodelled, "  %%")
            )
        ),
        Format::Dot => print!(
            "{}",
            after_first_line(
                diagram::to_dot(&schema),
                unmodelled_comment(&unmodelled, "  //")
            )
        ),
        Format::Text | Format::Json => print!(
            "{}{}",
            unmodelled_comment(&unmodelled, "#"),
            schema_to_yaml(&schema, &project.config.naming_convention)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
