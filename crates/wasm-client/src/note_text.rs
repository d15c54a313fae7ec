//! The text of a note as the model sees it: what `estimate` priced, for the host to send.

use super::convert::type_name;
use crate::estimate::analyze_note;
use crate::js_error::bad_input;
use wasm_bindgen::prelude::*;

/// The text of a markdown note exactly as `estimate({ note })` prices it: the note without
/// its YAML frontmatter, `%% comments %%` and media embeds (`![[x.png]]`, `![](a.mp3)`);
/// an empty string when nothing is left. Send this to the model, so that what is charged
/// is what was estimated.
#[wasm_bindgen(js_name = noteForModel)]
pub fn note_for_model(#[wasm_bindgen(unchecked_param_type = "string")] note: &JsValue) -> Result<String, JsValue> {
    let Some(note) = note.as_string() else {
        return Err(bad_input(&["note must be a string, got ", type_name(note)].concat()));
    };
    Ok(analyze_note(&note).sent)
}
