//! Metric and data point context fields (upstream's `ottlmetric` and `ottldatapoint`
//! paths). A data point is addressed by its index in its metric, whatever the metric's
//! type.

use super::context::Field;
use super::eval::{EvalError, EvalResult};
use super::value::Value;
use crate::otlp::metrics::{metric, number_data_point, Metric, NumberDataPoint};
use crate::otlp::KeyValue;

/// Applies `$body` to the data point at `$index` of whichever type the metric holds.
macro_rules! with_point {
    ($data:expr, $index:expr, |$p:ident| $body:expr) => {
        match $data {
            None => None,
            Some(metric::Data::Gauge(g)) => g.data_points.get($index).map(|$p| $body),
            Some(metric::Data::Sum(s)) => s.data_points.get($index).map(|$p| $body),
            Some(metric::Data::Histogram(h)) => h.data_points.get($index).map(|$p| $body),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.get($index).map(|$p| $body),
            Some(metric::Data::Summary(s)) => s.data_points.get($index).map(|$p| $body),
        }
    };
}

macro_rules! with_point_mut {
    ($data:expr, $index:expr, |$p:ident| $body:expr) => {
        match $data {
            None => None,
            Some(metric::Data::Gauge(g)) => g.data_points.get_mut($index).map(|$p| $body),
            Some(metric::Data::Sum(s)) => s.data_points.get_mut($index).map(|$p| $body),
            Some(metric::Data::Histogram(h)) => h.data_points.get_mut($index).map(|$p| $body),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.get_mut($index).map(|$p| $body),
            Some(metric::Data::Summary(s)) => s.data_points.get_mut($index).map(|$p| $body),
        }
    };
}

pub(super) fn point_attributes(metric: &Metric, index: usize) -> Option<&Vec<KeyValue>> {
    with_point!(&metric.data, index, |p| &p.attributes)
}

pub(super) fn point_attributes_mut(metric: &mut Metric, index: usize) -> Option<&mut Vec<KeyValue>> {
    with_point_mut!(&mut metric.data, index, |p| &mut p.attributes)
}

fn metric_type(metric: &Metric) -> i64 {
    match metric.data {
        None => 0,
        Some(metric::Data::Gauge(_)) => 1,
        Some(metric::Data::Sum(_)) => 2,
        Some(metric::Data::Histogram(_)) => 3,
        Some(metric::Data::ExponentialHistogram(_)) => 4,
        Some(metric::Data::Summary(_)) => 5,
    }
}

pub(super) fn get_metric(field: Field, metric: &Metric) -> EvalResult<Value<'_>> {
    Ok(match field {
        Field::MetricName => Value::str(&metric.name),
        Field::MetricDescription => Value::str(&metric.description),
        Field::MetricUnit => Value::str(&metric.unit),
        Field::MetricType => Value::Int(metric_type(metric)),
        Field::MetricAggregationTemporality => Value::Int(i64::from(match &metric.data {
            Some(metric::Data::Sum(s)) => s.aggregation_temporality,
            Some(metric::Data::Histogram(h)) => h.aggregation_temporality,
            Some(metric::Data::ExponentialHistogram(h)) => h.aggregation_temporality,
            _ => 0,
        })),
        Field::MetricIsMonotonic => Value::Bool(matches!(&metric.data, Some(metric::Data::Sum(s)) if s.is_monotonic)),
        _ => return Err(EvalError::new("not a metric field")),
    })
}

pub(super) fn set_metric(text: &str, field: Field, metric: &mut Metric, value: Value<'static>) -> EvalResult<()> {
    match (field, value) {
        (Field::MetricName, Value::Str(s)) => metric.name = s.into_owned(),
        (Field::MetricDescription, Value::Str(s)) => metric.description = s.into_owned(),
        (Field::MetricUnit, Value::Str(s)) => metric.unit = s.into_owned(),
        (Field::MetricAggregationTemporality, Value::Int(n)) => {
            let n = i32::try_from(n).map_err(|_| EvalError::new(format!("invalid temporality {n}")))?;
            match &mut metric.data {
                Some(metric::Data::Sum(s)) => s.aggregation_temporality = n,
                Some(metric::Data::Histogram(h)) => h.aggregation_temporality = n,
                Some(metric::Data::ExponentialHistogram(h)) => h.aggregation_temporality = n,
                _ => {}
            }
        }
        (Field::MetricIsMonotonic, Value::Bool(b)) => {
            if let Some(metric::Data::Sum(s)) = &mut metric.data {
                s.is_monotonic = b;
            }
        }
        (Field::MetricType, _) => return Err(EvalError::new(format!("path {text} cannot be set"))),
        (_, value) => return Err(EvalError::new(format!("path {text}: wrong type {}", value.type_name()))),
    }
    Ok(())
}

pub(super) fn get_point(field: Field, metric: &Metric, index: usize) -> EvalResult<Value<'static>> {
    let missing = || EvalError::new("data point is not available in this context");
    let times = with_point!(&metric.data, index, |p| (p.start_time_unix_nano, p.time_unix_nano)).ok_or_else(missing)?;
    Ok(match field {
        Field::PointStartTimeUnixNano => Value::Int(times.0 as i64),
        Field::PointTimeUnixNano => Value::Int(times.1 as i64),
        Field::PointStartTime => Value::Time(times.0 as i64),
        Field::PointTime => Value::Time(times.1 as i64),
        Field::PointFlags => Value::Int(i64::from(with_point!(&metric.data, index, |p| p.flags).unwrap_or(0))),
        Field::PointValueDouble | Field::PointValueInt => {
            let value = match &metric.data {
                Some(metric::Data::Gauge(g)) => g.data_points.get(index).and_then(|p| p.value),
                Some(metric::Data::Sum(s)) => s.data_points.get(index).and_then(|p| p.value),
                _ => None,
            };
            match (field, value) {
                (Field::PointValueDouble, Some(number_data_point::Value::AsDouble(d))) => Value::Float(d),
                (Field::PointValueInt, Some(number_data_point::Value::AsInt(i))) => Value::Int(i),
                (Field::PointValueDouble, _) => Value::Float(0.0),
                _ => Value::Int(0),
            }
        }
        Field::PointCount => Value::Int(match &metric.data {
            Some(metric::Data::Histogram(h)) => h.data_points.get(index).map_or(0, |p| p.count as i64),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.get(index).map_or(0, |p| p.count as i64),
            Some(metric::Data::Summary(s)) => s.data_points.get(index).map_or(0, |p| p.count as i64),
            _ => 0,
        }),
        Field::PointSum => Value::Float(match &metric.data {
            Some(metric::Data::Histogram(h)) => h.data_points.get(index).and_then(|p| p.sum).unwrap_or(0.0),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.get(index).and_then(|p| p.sum).unwrap_or(0.0),
            Some(metric::Data::Summary(s)) => s.data_points.get(index).map_or(0.0, |p| p.sum),
            _ => 0.0,
        }),
        _ => return Err(EvalError::new("not a data point field")),
    })
}

fn number_point_mut(metric: &mut Metric, index: usize) -> Option<&mut NumberDataPoint> {
    match &mut metric.data {
        Some(metric::Data::Gauge(g)) => g.data_points.get_mut(index),
        Some(metric::Data::Sum(s)) => s.data_points.get_mut(index),
        _ => None,
    }
}

pub(super) fn set_point(
    text: &str,
    field: Field,
    metric: &mut Metric,
    index: usize,
    value: Value<'static>,
) -> EvalResult<()> {
    let wrong = |value: &Value<'_>| EvalError::new(format!("path {text}: wrong type {}", value.type_name()));
    let done = match (field, value) {
        (Field::PointStartTimeUnixNano, Value::Int(n)) | (Field::PointStartTime, Value::Time(n)) => {
            with_point_mut!(&mut metric.data, index, |p| p.start_time_unix_nano = n as u64)
        }
        (Field::PointTimeUnixNano, Value::Int(n)) | (Field::PointTime, Value::Time(n)) => {
            with_point_mut!(&mut metric.data, index, |p| p.time_unix_nano = n as u64)
        }
        (Field::PointFlags, Value::Int(n)) => {
            let n = u32::try_from(n).map_err(|_| EvalError::new(format!("invalid flags {n}")))?;
            with_point_mut!(&mut metric.data, index, |p| p.flags = n)
        }
        (Field::PointValueDouble, Value::Float(d)) => {
            number_point_mut(metric, index).map(|p| p.value = Some(number_data_point::Value::AsDouble(d)))
        }
        (Field::PointValueInt, Value::Int(i)) => {
            number_point_mut(metric, index).map(|p| p.value = Some(number_data_point::Value::AsInt(i)))
        }
        (Field::PointCount | Field::PointSum, _) => return Err(EvalError::new(format!("path {text} cannot be set"))),
        (_, value) => return Err(wrong(&value)),
    };
    done.ok_or_else(|| EvalError::new("data point is not available in this context"))
}
