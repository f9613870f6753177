//! Compiled lambdas (`(k, v) => …`, upstream's alpha language feature). Formals are resolved
//! to slots when the statement compiles: a lambda's formals take the slots after those of
//! the lambdas around it, so a nested lambda never overwrites what its outer one bound, and
//! a formal read in the body is one index into `Target::locals`, not a name lookup.

use super::context::Target;
use super::eval::{Cond, EvalError, EvalResult, Expr};
use super::value::Value;

#[derive(Debug)]
pub enum LambdaBody {
    Value(Expr),
    Condition(Cond),
}

#[derive(Debug)]
pub struct CompiledLambda {
    /// One per formal, in order; `None` for `_`, which binds nothing.
    pub slots: Vec<Option<usize>>,
    pub body: LambdaBody,
    /// The lambda as written, for errors.
    pub text: String,
}

impl CompiledLambda {
    /// Binds `args` to the formals and evaluates the body.
    pub fn call(&self, target: &Target<'_>, args: &[Value<'_>]) -> EvalResult<Value<'static>> {
        {
            let mut locals = target.locals.borrow_mut();
            for (slot, arg) in self.slots.iter().zip(args) {
                let Some(slot) = *slot else { continue };
                if locals.len() <= slot {
                    locals.resize(slot + 1, Value::Nil);
                }
                locals[slot] = arg.clone().into_owned();
            }
        }
        match &self.body {
            LambdaBody::Value(expr) => expr.eval(target).map(Value::into_owned),
            LambdaBody::Condition(cond) => cond.eval(target).map(Value::Bool),
        }
    }

    /// A call whose result must be a bool (a predicate).
    pub fn test(&self, target: &Target<'_>, args: &[Value<'_>]) -> EvalResult<bool> {
        match self.call(target, args)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::new(format!(
                "lambda `{}` must return a bool, got {}",
                self.text,
                other.type_name()
            ))),
        }
    }
}
