//! `IsInCIDR(target, networks)`: whether an IP address lies in one of the CIDR networks. A
//! target that is not an IP address is not in any; a network that does not parse is an
//! error (when the template compiles, for a literal list).

use std::net::IpAddr;

use ipnet::IpNet;

use super::super::context::Target;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, req, Args};
use super::super::value::Value;
use super::strings::expect_str;
use super::{converter, param, FunctionSpec};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[converter(
    "IsInCIDR",
    &[req(param::TARGET), req(param::NETWORKS)],
    build,
)];

#[derive(Debug)]
enum Networks {
    Parsed(Vec<IpNet>),
    Computed(Expr),
}

#[derive(Debug)]
struct IsInCidr {
    target: Expr,
    networks: Networks,
}

fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .map_err(|_| format!("invalid CIDR address: {text}"))
}

fn parse_all(value: &Value<'_>) -> Result<Vec<IpNet>, String> {
    let Value::List(items) = value else {
        return Err(format!("networks: expected a list but got {}", value.type_name()));
    };
    items
        .iter()
        .map(|item| match Value::from_any(item) {
            Value::Str(s) => parse_network(&s),
            other => Err(format!("networks: expected strings but got {}", other.type_name())),
        })
        .collect()
}

fn build(a: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    let networks = match a.expr(param::NETWORKS)? {
        Expr::Literal(list) => Networks::Parsed(parse_all(&list).map_err(|e| a.error(e))?),
        computed => Networks::Computed(computed),
    };
    boxed(IsInCidr {
        target: a.expr(param::TARGET)?,
        networks,
    })
}

/// An IPv4 address also matches an IPv4 network written in IPv6 (`::ffff:a.b.c.d`), as Go's.
fn contains(net: &IpNet, ip: IpAddr) -> bool {
    net.contains(&ip)
        || match ip {
            IpAddr::V4(v4) => net.contains(&IpAddr::V6(v4.to_ipv6_mapped())),
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| net.contains(&IpAddr::V4(v4))),
        }
}

impl Converter for IsInCidr {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.target.eval(target)?;
        let text = expect_str(&value, "IsInCIDR target")?;
        let Ok(ip) = text.parse::<IpAddr>() else {
            return Ok(Value::Bool(false));
        };
        let computed;
        let networks = match &self.networks {
            Networks::Parsed(n) => n,
            Networks::Computed(expr) => {
                computed = parse_all(&expr.eval(target)?).map_err(EvalError::new)?;
                &computed
            }
        };
        Ok(Value::Bool(networks.iter().any(|n| contains(n, ip))))
    }
}
