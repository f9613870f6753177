//! Properties of the OTTL parser: whatever it accepts prints back (Display) to text that
//! parses to the same tree, and no input makes it panic.

use intake::ottl::ast::{
    ArgValue, Argument, BoolExpr, CompareOp, Invocation, Key, MathOp, Offset, Path, Segment, Statement, Value,
};
use intake::ottl::{parse_condition, parse_statement};
use proptest::prelude::*;

fn lower_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| {
        !["where", "and", "or", "not", "nil", "true", "false"].contains(&s.as_str())
    })
}

fn upper_name() -> impl Strategy<Value = String> {
    "[A-Z][a-z][A-Za-z0-9]{0,5}"
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<String>().prop_map(Key::String),
        (0i64..100).prop_map(|i| Key::Expr(Value::Int(i)))
    ]
}

fn path() -> impl Strategy<Value = Path> {
    prop::collection::vec((lower_name(), prop::collection::vec(key(), 0..2)), 1..4).prop_map(|segments| Path {
        segments: segments
            .into_iter()
            .map(|(name, keys)| Segment { name, keys })
            .collect(),
        offset: Offset(0),
    })
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-1e6f64..1e6).prop_map(Value::Float),
        any::<String>().prop_map(Value::String),
        prop::collection::vec(any::<u8>(), 1..6).prop_map(Value::Bytes),
        "[A-Z][A-Z_]{0,8}".prop_map(|s| Value::Enum(s, Offset(0))),
        path().prop_map(Value::Path),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    literal().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (upper_name(), prop::collection::vec(inner.clone(), 0..3)).prop_map(|(name, args)| {
                Value::Call(Invocation {
                    name,
                    args: args
                        .into_iter()
                        .map(|v| Argument {
                            name: None,
                            value: ArgValue::Value(v),
                            offset: Offset(0),
                        })
                        .collect(),
                    keys: Vec::new(),
                    offset: Offset(0),
                })
            }),
            (
                numeric(),
                prop_oneof![
                    Just(MathOp::Add),
                    Just(MathOp::Sub),
                    Just(MathOp::Mul),
                    Just(MathOp::Div)
                ],
                numeric()
            )
                .prop_map(|(lhs, op, rhs)| Value::Math {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs)
                }),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            prop::collection::vec((any::<String>(), inner), 0..3).prop_map(Value::Map),
        ]
    })
}

/// Math operands: numbers, paths and calls (what the grammar allows in math).
fn numeric() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..1000).prop_map(Value::Int),
        (0.0f64..100.0).prop_map(Value::Float),
        path().prop_map(Value::Path)
    ]
}

fn condition() -> impl Strategy<Value = BoolExpr> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(BoolExpr::Const),
        (
            value(),
            prop_oneof![
                Just(CompareOp::Eq),
                Just(CompareOp::Ne),
                Just(CompareOp::Lt),
                Just(CompareOp::Ge)
            ],
            value()
        )
            .prop_map(|(lhs, op, rhs)| BoolExpr::Compare { op, lhs, rhs }),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(BoolExpr::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(BoolExpr::And),
            inner.prop_map(|c| BoolExpr::Not(Box::new(c))),
        ]
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        lower_name(),
        prop::collection::vec(value(), 0..3),
        prop::option::of(condition()),
    )
        .prop_map(|(name, args, condition)| Statement {
            editor: Invocation {
                name,
                args: args
                    .into_iter()
                    .map(|v| Argument {
                        name: None,
                        value: ArgValue::Value(v),
                        offset: Offset(0),
                    })
                    .collect(),
                keys: Vec::new(),
                offset: Offset(0),
            },
            condition,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_of_any_tree_reads_back_to_the_same_tree(tree in statement()) {
        let text = tree.to_string();
        let parsed = parse_statement(&text).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.message)))?;
        prop_assert_eq!(&parsed, &tree, "{}", text);
        let again = parsed.to_string();
        prop_assert_eq!(again, text);
    }

    #[test]
    fn whatever_parses_prints_back_to_the_same_tree(text in "[a-zA-Z_\\[\\]\"(){}.,=<>!+*/ 0-9-]{0,40}") {
        if let Ok(tree) = parse_statement(&text) {
            let printed = tree.to_string();
            let reparsed = parse_statement(&printed).map_err(|e| TestCaseError::fail(format!("{text} -> {printed}: {}", e.message)))?;
            prop_assert_eq!(reparsed, tree);
        }
        let _ = parse_condition(&text);
    }

    #[test]
    fn the_parser_never_panics(text in any::<String>()) {
        let _ = parse_statement(&text);
        let _ = parse_condition(&text);
    }
}
