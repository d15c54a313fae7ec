//! Low-balance emails: the ledger's low-balance notice becomes an outbox row in the
//! same transaction as the entry that crossed the threshold ([`outbox`]); a worker sends
//! the rows over SMTP and marks them sent ([`worker`]), with the text of [`template`].

pub(crate) mod outbox;
pub(crate) mod template;
pub(crate) mod worker;
