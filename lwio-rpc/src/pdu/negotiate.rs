//! Presentation context negotiation (C706 12.6.4.4 and 12.6.3.1 `p_result_list_t`,
//! MS-RPCE 3.3.1.5.6 and 3.3.1.5.3): from the contexts of a bind or alter_context to the
//! result list of the bind_ack or alter_context_resp. Pure: the caller says which
//! interfaces it serves and which bind-time features it supports.
//!
//! For each proposed context, in order:
//!
//! 1. a transfer syntax `6cb71c2c-9812-4540-…` v1.0 (bind time feature negotiation) →
//!    `negotiate_ack`, reason = the client's bitmask masked by the server's, null syntax;
//! 2. an interface the registry does not serve → `provider_rejection`,
//!    `abstract_syntax_not_supported`;
//! 3. NDR 2.0 among the transfer syntaxes → `acceptance` with NDR 2.0;
//! 4. otherwise (NDR64 only, or nothing known) → `provider_rejection`,
//!    `proposed_transfer_syntaxes_not_supported`.

use super::{ContextResult, ContextResultCode, PresentationContext, ProviderReason};
use crate::{BindTimeFeatures, NDR20_SYNTAX, SyntaxId};

/// A context the server accepted: requests on `context_id` call `abstract_syntax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedContext {
    /// `p_cont_id`.
    pub context_id: u16,
    /// The interface, as the client proposed it.
    pub abstract_syntax: SyntaxId,
}

/// The outcome of [`negotiate_contexts`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Negotiation {
    /// One result per proposed context, in order: the bind_ack's result list.
    pub results: Vec<ContextResult>,
    /// The contexts accepted (all with NDR 2.0).
    pub accepted: Vec<AcceptedContext>,
    /// The features agreed, when the client offered bind time feature negotiation.
    pub features: Option<BindTimeFeatures>,
}

/// Builds the result list for `contexts`. `serves` answers whether an interface (UUID and
/// version) is registered — [`interface_version_matches`] is the usual rule;
/// `server_features` are the bind-time features this server supports.
pub fn negotiate_contexts(
    contexts: &[PresentationContext],
    serves: impl Fn(&SyntaxId) -> bool,
    server_features: BindTimeFeatures,
) -> Negotiation {
    let mut out = Negotiation {
        results: Vec::with_capacity(contexts.len()),
        ..Negotiation::default()
    };
    for ctx in contexts {
        let btfn = ctx
            .transfer_syntaxes
            .iter()
            .find_map(SyntaxId::bind_time_features);
        let result = if let Some(offered) = btfn {
            let mut agreed = [0u8; 8];
            for (a, (o, s)) in agreed
                .iter_mut()
                .zip(offered.0.iter().zip(server_features.0))
            {
                *a = o & s;
            }
            let agreed = BindTimeFeatures(agreed);
            out.features = Some(agreed);
            ContextResult {
                result: ContextResultCode::NEGOTIATE_ACK,
                reason: u16::from(agreed.bits()),
                transfer_syntax: SyntaxId::NULL,
            }
        } else if !serves(&ctx.abstract_syntax) {
            reject(ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED)
        } else if ctx.transfer_syntaxes.contains(&NDR20_SYNTAX) {
            out.accepted.push(AcceptedContext {
                context_id: ctx.context_id,
                abstract_syntax: ctx.abstract_syntax,
            });
            ContextResult {
                result: ContextResultCode::ACCEPTANCE,
                reason: ProviderReason::NOT_SPECIFIED.0,
                transfer_syntax: NDR20_SYNTAX,
            }
        } else {
            reject(ProviderReason::PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED)
        };
        out.results.push(result);
    }
    out
}

fn reject(reason: ProviderReason) -> ContextResult {
    ContextResult {
        result: ContextResultCode::PROVIDER_REJECTION,
        reason: reason.0,
        transfer_syntax: SyntaxId::NULL,
    }
}

/// The usual interface match (C706 12.6.4.4): same UUID, same major version, and a proposed
/// minor version no newer than the registered one.
pub fn interface_version_matches(registered: &SyntaxId, proposed: &SyntaxId) -> bool {
    registered.uuid == proposed.uuid
        && registered.major() == proposed.major()
        && proposed.minor() <= registered.minor()
}
