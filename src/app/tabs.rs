//! Opening connections in tabs (with their profile's discovery prefix, expanded branches and
//! protobuf schemas), and closing them.

use super::{CanopyApp, ConnectForm, Session, schemas};
use crate::net::{Command, ConnectOptions};

impl CanopyApp {
    /// Open a connection in the shown tab, replacing what it showed (a first tab is made if
    /// there is none).
    pub fn connect(&mut self, options: ConnectOptions) {
        self.disconnect();
        let Some(session) = self.new_session(options) else {
            return;
        };
        if self.sessions.is_empty() {
            self.sessions.push(session);
            self.active = 0;
        } else if let Some(slot) = self.active_session_mut() {
            *slot = session;
        }
    }

    /// Open a connection in a new tab and show it; `profile` names the tab.
    pub fn open_tab(&mut self, options: ConnectOptions, name: Option<String>) {
        let Some(mut session) = self.new_session(options) else {
            return;
        };
        if let Some(name) = &name {
            session.tree_view.expand_when_seen(self.expanded_for(name));
            if let Some(prefix) = self
                .profiles
                .profiles
                .iter()
                .find(|p| &p.name == name)
                .and_then(|p| p.discovery_prefix.as_deref())
            {
                session.model.home = crate::model::ha_discovery::Discovery::new(prefix);
            }
            if let Some(profile) = self.profiles.profiles.iter().find(|p| &p.name == name) {
                session.schemas = schemas::SessionSchemas::load(
                    profile.schema_folder.clone(),
                    profile.protobuf_bindings.clone(),
                );
                session.model.protobuf = session.schemas.resolved();
            }
        }
        session.name = name;
        self.sessions.push(session);
        self.active = self.sessions.len() - 1;
    }

    fn new_session(&mut self, options: ConnectOptions) -> Option<Session> {
        let Ok(manager) = &mut self.manager else {
            return None;
        };
        self.form = ConnectForm::from_options(&options);
        let (id, stats) = manager.connect(options.clone());
        let mut session = Session::new(id, options, stats);
        session.chart.open = self.layout.chart_open.unwrap_or(false);
        session
            .model
            .tree
            .set_history_budget(self.history_budget_bytes());
        Some(session)
    }

    /// Close the shown connection; its tree stays on screen.
    pub fn disconnect(&mut self) {
        if let (Ok(manager), Some(session)) = (&self.manager, self.sessions.get(self.active))
            && let Some(id) = session.id
            && !session.state.is_closed()
        {
            manager.send(Command::Disconnect { id });
        }
    }

    /// Close tab `index`: disconnect it and forget its data.
    pub fn close_tab(&mut self, index: usize) {
        if index >= self.sessions.len() {
            return;
        }
        let session = self.sessions.remove(index);
        if let (Ok(manager), Some(id)) = (&self.manager, session.id)
            && !session.state.is_closed()
        {
            manager.send(Command::Disconnect { id });
        }
        if self.active >= self.sessions.len() {
            self.active = self.sessions.len().saturating_sub(1);
        } else if self.active > index {
            self.active -= 1;
        }
        if let Some(session) = self.active_session() {
            self.form = ConnectForm::from_options(&session.options);
        }
    }
}
