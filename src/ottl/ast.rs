//! The OTTL syntax tree, as parsed, before names are resolved. `Display` prints a
//! statement back to text that parses to the same tree.

use std::fmt;

/// Byte offset of a node in the statement text, for error carets. Two trees that differ
/// only in where their nodes stood are the same tree, so offsets always compare equal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offset(pub usize);

impl PartialEq for Offset {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub editor: Invocation,
    pub condition: Option<BoolExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub name: String,
    pub args: Vec<Argument>,
    /// Indexing of the call's result: `Split(x, ",")[0]`.
    pub keys: Vec<Key>,
    pub offset: Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub name: Option<String>,
    pub value: ArgValue,
    pub offset: Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Value(Value),
    /// A bare mixed-case Uppercase name: a function passed by name (`Sha256`).
    FunctionRef(String),
    /// `(k, v) => …`, for the functions that take one.
    Lambda(Lambda),
}

/// `(formal, …) => body`. A formal `_` binds nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    pub formals: Vec<String>,
    pub body: LambdaBody,
    pub offset: Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LambdaBody {
    Value(Value),
    Condition(BoolExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Bytes(Vec<u8>),
    /// An all-caps symbol: an enum (`SPAN_KIND_SERVER`) or a function name (`SHA256`).
    Enum(String, Offset),
    Path(Path),
    Call(Invocation),
    Math {
        op: MathOp,
        lhs: Box<Value>,
        rhs: Box<Value>,
    },
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// `span.attributes["k"]` is `[span, attributes["k"]]`; whether the first segment is a
    /// context is decided when the path is compiled.
    pub segments: Vec<Segment>,
    pub offset: Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub keys: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    String(String),
    /// Any other index expression: an int, a path, a converter, math.
    Expr(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BoolExpr {
    Or(Vec<BoolExpr>),
    And(Vec<BoolExpr>),
    Not(Box<BoolExpr>),
    Compare { op: CompareOp, lhs: Value, rhs: Value },
    Const(bool),
    Converter(Invocation),
}

// ---------------------------------------------------------------- Display

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.editor)?;
        if let Some(condition) = &self.condition {
            write!(f, " where {condition}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg}")?;
        }
        f.write_str(")")?;
        for key in &self.keys {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "{name} = ")?;
        }
        match &self.value {
            ArgValue::Value(v) => write!(f, "{v}"),
            ArgValue::FunctionRef(name) => f.write_str(name),
            ArgValue::Lambda(lambda) => write!(f, "{lambda}"),
        }
    }
}

impl fmt::Display for Lambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) => ", self.formals.join(", "))?;
        match &self.body {
            LambdaBody::Value(v) => write!(f, "{v}"),
            LambdaBody::Condition(c) => write!(f, "{c}"),
        }
    }
}

/// Go-style quoting: what `strconv.Unquote` reads back to the same string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn fmt_float(v: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // Always with a fraction so it reads back as a float, never in exponent-less
    // scientific form the grammar would not accept.
    let text = format!("{v:?}");
    if text.contains('e') || text.contains('E') {
        let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        write!(f, "{mantissa}e{exponent}")
    } else if text.contains('.') {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(v) => fmt_float(*v, f),
            Value::String(s) => f.write_str(&quote(s)),
            Value::Bytes(b) => write!(f, "0x{}", hex::encode(b)),
            Value::Enum(name, _) => f.write_str(name),
            Value::Path(p) => write!(f, "{p}"),
            Value::Call(c) => write!(f, "{c}"),
            Value::Math { op, lhs, rhs } => {
                let op = match op {
                    MathOp::Add => "+",
                    MathOp::Sub => "-",
                    MathOp::Mul => "*",
                    MathOp::Div => "/",
                };
                // Operands that are themselves math are parenthesised: the tree, not
                // precedence, decides the grouping when read back.
                let side = |v: &Value, f: &mut fmt::Formatter<'_>| match v {
                    Value::Math { .. } => write!(f, "({v})"),
                    other => write!(f, "{other}"),
                };
                side(lhs, f)?;
                write!(f, " {op} ")?;
                side(rhs, f)
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {v}", quote(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(&segment.name)?;
            for key in &segment.keys {
                write!(f, "{key}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::String(s) => write!(f, "[{}]", quote(s)),
            Key::Expr(v) => write!(f, "[{v}]"),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        })
    }
}

impl fmt::Display for BoolExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nested and/or/not are parenthesised so the tree reads back unchanged.
        let nested = |e: &BoolExpr, f: &mut fmt::Formatter<'_>| match e {
            BoolExpr::Or(_) | BoolExpr::And(_) | BoolExpr::Not(_) => write!(f, "({e})"),
            other => write!(f, "{other}"),
        };
        match self {
            BoolExpr::Or(items) | BoolExpr::And(items) => {
                let word = if matches!(self, BoolExpr::Or(_)) {
                    " or "
                } else {
                    " and "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    nested(item, f)?;
                }
                Ok(())
            }
            BoolExpr::Not(inner) => {
                f.write_str("not ")?;
                nested(inner, f)
            }
            BoolExpr::Compare { op, lhs, rhs } => write!(f, "{lhs} {op} {rhs}"),
            BoolExpr::Const(b) => write!(f, "{b}"),
            BoolExpr::Converter(c) => write!(f, "{c}"),
        }
    }
}
