//! Agents: each has its own subscription cycle paid in credits, and its usage is counted
//! per cycle, independently of the account's plan cycle.
//!
//! - Activating (creating or reactivating) an agent draws the activation fee plus its
//!   first cycle's subscription, and is refused beyond the plan's `maxAgents` *active*
//!   agents.
//! - At its cycle's end the agent renews by drawing the next cycle's subscription; when the
//!   spendable balance cannot pay it, the agent becomes inactive at that instant (a
//!   `deactivation` entry and an `agentDeactivated` notice). Reactivating pays again.
//! - Usage attributed to an inactive agent is refused (`AGENT_INACTIVE`).

use super::account::Account;
use super::entry::EntryKind;
use super::error::{add, add_ms, LedgerError};
use super::order::draw_plan;
use crate::money::Credits;

/// Whether an agent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    /// Paid up for the current cycle.
    Active,
    /// Could not pay; reactivate to use it again.
    Inactive,
}

/// An agent's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The agent's id (the host's).
    pub id: String,
    /// Whether it runs.
    pub status: AgentStatus,
    /// When its current cycle started.
    pub cycle_start: i64,
    /// When its current cycle ends (the next renewal).
    pub cycle_end: i64,
    /// Credits its usage drew this cycle.
    pub cycle_credits: Credits,
    /// LLM tokens it used this cycle.
    pub cycle_llm_tokens: u64,
    /// TTS characters it used this cycle.
    pub cycle_tts_characters: u64,
    /// Fees (activations and renewals) it has cost in total.
    pub fees: Credits,
    /// When it last became inactive.
    pub deactivated_at: Option<i64>,
}

impl Agent {
    /// Whether it runs.
    pub fn is_active(&self) -> bool {
        self.status == AgentStatus::Active
    }
}

impl Account {
    /// Creates or reactivates an agent at `now`: checks the plan's cap on active agents,
    /// then draws the activation fee plus the first cycle's subscription.
    pub fn activate_agent(&mut self, agent_id: &str, now: i64) -> Result<Agent, LedgerError> {
        let terms = self.policy().agents.clone().ok_or_else(|| LedgerError::BadInput("this policy has no agents".into()))?;
        if agent_id.is_empty() {
            return Err(LedgerError::BadInput("agent id is empty".into()));
        }
        self.transact(now, |tx| {
            if tx.state.agent(agent_id).is_some_and(Agent::is_active) {
                return Err(LedgerError::Duplicate(agent_id.to_string()));
            }
            if let Some(limit) = tx.state.plan_terms(tx.policy).and_then(|p| p.max_agents) {
                let active = tx.state.agents.iter().filter(|a| a.is_active()).count();
                if active >= limit as usize {
                    return Err(LedgerError::AgentLimit { limit });
                }
            }
            let amount = add(terms.activation_credits, terms.subscription_credits)?;
            tx.require_available(amount)?;
            let draws = draw_plan(&tx.state.grants, amount, now).draws;
            let cycle_end = add_ms(now, terms.cycle_ms)?;
            tx.push(now, EntryKind::Activation { agent_id: agent_id.to_string(), amount, draws, cycle_end })?;
            tx.state.agent(agent_id).cloned().ok_or_else(|| LedgerError::NotFound(agent_id.to_string()))
        })
    }

    /// The account's agents at `now` (after renewals and deactivations due by then).
    pub fn agents(&mut self, now: i64) -> Result<Vec<Agent>, LedgerError> {
        self.advance(now)?;
        Ok(self.state().agents.clone())
    }
}

json_unit_enum!(AgentStatus { Active = "active", Inactive = "inactive" });
json_struct!(Agent [deny] {
    id: "id",
    status: "status",
    cycle_start: "cycleStart",
    cycle_end: "cycleEnd",
    cycle_credits: "cycleCredits",
    cycle_llm_tokens: "cycleLlmTokens",
    cycle_tts_characters: "cycleTtsCharacters",
    fees: "fees",
    deactivated_at: "deactivatedAt",
});
