//! OTLP/JSON for metrics: `ExportMetricsServiceRequest` (every data point type) and its
//! response.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use serde::de::MapAccess;

use super::encode::{partial_success_response, write_into, Hex, Int64Str, JsKeyValue, JsResource, JsScope, Seq};
use super::stream::{
    decode_root, fail, list, message, read_scalar, scalar, to_enum, to_f64, to_i64, to_id, to_string, to_u32, to_u64,
    Built, F64Item, LenientBool, Message, MessageSeed, Path, Scalar, U64Item,
};
use crate::otlp::metrics::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use crate::otlp::{DecodeError, ExportMetricsServiceRequest, ExportMetricsServiceResponse, KeyValue};

const TEMPORALITIES: &[&str] = &[
    "AGGREGATION_TEMPORALITY_UNSPECIFIED",
    "AGGREGATION_TEMPORALITY_DELTA",
    "AGGREGATION_TEMPORALITY_CUMULATIVE",
];

/// OTLP/JSON metrics, read straight into the prost types (the rules are `stream.rs`'s).
pub fn decode_metrics_request(body: &[u8]) -> Result<ExportMetricsServiceRequest, DecodeError> {
    decode_root(body)
}

/// A number that may be null: present is `Some`, even when zero.
fn opt_f64<'de, A: MapAccess<'de>>(map: &mut A, path: &Path<'_>) -> Result<Option<f64>, A::Error> {
    match scalar(map, path)? {
        Scalar::Null => Ok(None),
        value => to_f64(value, path).map(Some),
    }
}

/// A signed integer field of 32 bits (scale, offset).
fn to_i32<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<i32, E> {
    let v = to_i64(value, path)?;
    i32::try_from(v).map_err(|_| fail(path, format_args!("{v} does not fit in 32 bits")))
}

fn temporality<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<i32, E> {
    to_enum(value, TEMPORALITIES, path)
}

impl Message for ExportMetricsServiceRequest {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("resourceMetrics", "resource_metrics")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.resource_metrics = list::<MessageSeed<ResourceMetrics>, A>(map, path)?;
        Ok(())
    }
}

impl Message for ResourceMetrics {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("resource", "resource"),
        ("scopeMetrics", "scope_metrics"),
        ("schemaUrl", "schema_url"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.resource = message(map, path)?,
            1 => self.scope_metrics = list::<MessageSeed<ScopeMetrics>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

impl Message for ScopeMetrics {
    const FIELDS: &'static [(&'static str, &'static str)] =
        &[("scope", "scope"), ("metrics", "metrics"), ("schemaUrl", "schema_url")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.scope = message(map, path)?,
            1 => self.metrics = list::<Built<MetricFields, Metric>, A>(map, path)?,
            _ => read_scalar!(map, path, self.schema_url, to_string),
        }
        Ok(())
    }
}

/// A metric as its JSON spells it: when several data kinds are given, gauge wins, then sum,
/// histogram, exponential histogram, summary, whatever their order.
#[derive(Default)]
struct MetricFields {
    metric: Metric,
    gauge: Option<Gauge>,
    sum: Option<Sum>,
    histogram: Option<Histogram>,
    exponential: Option<ExponentialHistogram>,
    summary: Option<Summary>,
}

impl From<MetricFields> for Metric {
    fn from(fields: MetricFields) -> Metric {
        let data = fields
            .gauge
            .map(metric::Data::Gauge)
            .or(fields.sum.map(metric::Data::Sum))
            .or(fields.histogram.map(metric::Data::Histogram))
            .or(fields.exponential.map(metric::Data::ExponentialHistogram))
            .or(fields.summary.map(metric::Data::Summary));
        Metric { data, ..fields.metric }
    }
}

impl Message for MetricFields {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("name", "name"),
        ("description", "description"),
        ("unit", "unit"),
        ("metadata", "metadata"),
        ("gauge", "gauge"),
        ("sum", "sum"),
        ("histogram", "histogram"),
        ("exponentialHistogram", "exponential_histogram"),
        ("summary", "summary"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.metric.name, to_string),
            1 => read_scalar!(map, path, self.metric.description, to_string),
            2 => read_scalar!(map, path, self.metric.unit, to_string),
            3 => self.metric.metadata = list::<MessageSeed<KeyValue>, A>(map, path)?,
            4 => self.gauge = message(map, path)?,
            5 => self.sum = message(map, path)?,
            6 => self.histogram = message(map, path)?,
            7 => self.exponential = message(map, path)?,
            _ => self.summary = message(map, path)?,
        }
        Ok(())
    }
}

impl Message for Gauge {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("dataPoints", "data_points")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.data_points = list::<Built<NumberPointFields, NumberDataPoint>, A>(map, path)?;
        Ok(())
    }
}

impl Message for Sum {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("dataPoints", "data_points"),
        ("aggregationTemporality", "aggregation_temporality"),
        ("isMonotonic", "is_monotonic"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.data_points = list::<Built<NumberPointFields, NumberDataPoint>, A>(map, path)?,
            1 => read_scalar!(map, path, self.aggregation_temporality, temporality),
            _ => self.is_monotonic = map.next_value_seed(LenientBool)?.unwrap_or(false),
        }
        Ok(())
    }
}

impl Message for Histogram {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("dataPoints", "data_points"),
        ("aggregationTemporality", "aggregation_temporality"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.data_points = list::<MessageSeed<HistogramDataPoint>, A>(map, path)?,
            _ => read_scalar!(map, path, self.aggregation_temporality, temporality),
        }
        Ok(())
    }
}

impl Message for ExponentialHistogram {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("dataPoints", "data_points"),
        ("aggregationTemporality", "aggregation_temporality"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.data_points = list::<MessageSeed<ExponentialHistogramDataPoint>, A>(map, path)?,
            _ => read_scalar!(map, path, self.aggregation_temporality, temporality),
        }
        Ok(())
    }
}

impl Message for Summary {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("dataPoints", "data_points")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.data_points = list::<MessageSeed<SummaryDataPoint>, A>(map, path)?;
        Ok(())
    }
}

/// `asDouble` and `asInt` of a number point or exemplar: the double wins when both are given.
#[derive(Default)]
struct NumberValue {
    double: Option<f64>,
    int: Option<i64>,
}

impl NumberValue {
    fn read_double<'de, A: MapAccess<'de>>(&mut self, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.double = opt_f64(map, path)?;
        Ok(())
    }

    fn read_int<'de, A: MapAccess<'de>>(&mut self, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.int = match scalar(map, path)? {
            Scalar::Null => None,
            value => Some(to_i64(value, path)?),
        };
        Ok(())
    }
}

#[derive(Default)]
struct NumberPointFields {
    point: NumberDataPoint,
    value: NumberValue,
}

impl From<NumberPointFields> for NumberDataPoint {
    fn from(fields: NumberPointFields) -> NumberDataPoint {
        let value = match fields.value {
            NumberValue { double: Some(d), .. } => Some(number_data_point::Value::AsDouble(d)),
            NumberValue { int: Some(i), .. } => Some(number_data_point::Value::AsInt(i)),
            _ => None,
        };
        NumberDataPoint { value, ..fields.point }
    }
}

impl Message for NumberPointFields {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", "attributes"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("timeUnixNano", "time_unix_nano"),
        ("exemplars", "exemplars"),
        ("flags", "flags"),
        ("asDouble", "as_double"),
        ("asInt", "as_int"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.point.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.point.start_time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.point.time_unix_nano, to_u64),
            3 => self.point.exemplars = list::<Built<ExemplarFields, Exemplar>, A>(map, path)?,
            4 => read_scalar!(map, path, self.point.flags, to_u32),
            5 => self.value.read_double(map, path)?,
            _ => self.value.read_int(map, path)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct ExemplarFields {
    exemplar: Exemplar,
    value: NumberValue,
}

impl From<ExemplarFields> for Exemplar {
    fn from(fields: ExemplarFields) -> Exemplar {
        let value = match fields.value {
            NumberValue { double: Some(d), .. } => Some(exemplar::Value::AsDouble(d)),
            NumberValue { int: Some(i), .. } => Some(exemplar::Value::AsInt(i)),
            _ => None,
        };
        Exemplar {
            value,
            ..fields.exemplar
        }
    }
}

impl Message for ExemplarFields {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("filteredAttributes", "filtered_attributes"),
        ("timeUnixNano", "time_unix_nano"),
        ("spanId", "span_id"),
        ("traceId", "trace_id"),
        ("asDouble", "as_double"),
        ("asInt", "as_int"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.exemplar.filtered_attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.exemplar.time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.exemplar.span_id, to_id),
            3 => read_scalar!(map, path, self.exemplar.trace_id, to_id),
            4 => self.value.read_double(map, path)?,
            _ => self.value.read_int(map, path)?,
        }
        Ok(())
    }
}

impl Message for HistogramDataPoint {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", "attributes"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("timeUnixNano", "time_unix_nano"),
        ("count", "count"),
        ("sum", "sum"),
        ("bucketCounts", "bucket_counts"),
        ("explicitBounds", "explicit_bounds"),
        ("exemplars", "exemplars"),
        ("flags", "flags"),
        ("min", "min"),
        ("max", "max"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.start_time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.time_unix_nano, to_u64),
            3 => read_scalar!(map, path, self.count, to_u64),
            4 => self.sum = opt_f64(map, path)?,
            5 => self.bucket_counts = list::<U64Item, A>(map, path)?,
            6 => self.explicit_bounds = list::<F64Item, A>(map, path)?,
            7 => self.exemplars = list::<Built<ExemplarFields, Exemplar>, A>(map, path)?,
            8 => read_scalar!(map, path, self.flags, to_u32),
            9 => self.min = opt_f64(map, path)?,
            _ => self.max = opt_f64(map, path)?,
        }
        Ok(())
    }
}

impl Message for Buckets {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("offset", "offset"), ("bucketCounts", "bucket_counts")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.offset, to_i32),
            _ => self.bucket_counts = list::<U64Item, A>(map, path)?,
        }
        Ok(())
    }
}

impl Message for ExponentialHistogramDataPoint {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", "attributes"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("timeUnixNano", "time_unix_nano"),
        ("count", "count"),
        ("sum", "sum"),
        ("scale", "scale"),
        ("zeroCount", "zero_count"),
        ("positive", "positive"),
        ("negative", "negative"),
        ("flags", "flags"),
        ("exemplars", "exemplars"),
        ("min", "min"),
        ("max", "max"),
        ("zeroThreshold", "zero_threshold"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.start_time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.time_unix_nano, to_u64),
            3 => read_scalar!(map, path, self.count, to_u64),
            4 => self.sum = opt_f64(map, path)?,
            5 => read_scalar!(map, path, self.scale, to_i32),
            6 => read_scalar!(map, path, self.zero_count, to_u64),
            7 => self.positive = message(map, path)?,
            8 => self.negative = message(map, path)?,
            9 => read_scalar!(map, path, self.flags, to_u32),
            10 => self.exemplars = list::<Built<ExemplarFields, Exemplar>, A>(map, path)?,
            11 => self.min = opt_f64(map, path)?,
            12 => self.max = opt_f64(map, path)?,
            _ => read_scalar!(map, path, self.zero_threshold, to_f64),
        }
        Ok(())
    }
}

impl Message for SummaryDataPoint {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", "attributes"),
        ("startTimeUnixNano", "start_time_unix_nano"),
        ("timeUnixNano", "time_unix_nano"),
        ("count", "count"),
        ("sum", "sum"),
        ("quantileValues", "quantile_values"),
        ("flags", "flags"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.start_time_unix_nano, to_u64),
            2 => read_scalar!(map, path, self.time_unix_nano, to_u64),
            3 => read_scalar!(map, path, self.count, to_u64),
            4 => read_scalar!(map, path, self.sum, to_f64),
            5 => self.quantile_values = list::<MessageSeed<ValueAtQuantile>, A>(map, path)?,
            _ => read_scalar!(map, path, self.flags, to_u32),
        }
        Ok(())
    }
}

impl Message for ValueAtQuantile {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("quantile", "quantile"), ("value", "value")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.quantile, to_f64),
            _ => read_scalar!(map, path, self.value, to_f64),
        }
        Ok(())
    }
}

pub fn encode_metrics_request(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_into(&mut out, &JsMetricsRequest(request));
    out
}

pub fn encode_metrics_response(response: &ExportMetricsServiceResponse) -> Vec<u8> {
    let partial = response.partial_success.as_ref();
    partial_success_response(
        "rejectedDataPoints",
        partial.map(|p| (p.rejected_data_points, p.error_message.as_str())),
    )
}

struct JsMetricsRequest<'a>(&'a ExportMetricsServiceRequest);
impl Serialize for JsMetricsRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("resourceMetrics", &Seq(&self.0.resource_metrics, JsResourceMetrics))?;
        map.end()
    }
}

struct JsResourceMetrics<'a>(&'a ResourceMetrics);
impl Serialize for JsResourceMetrics<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rm = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(resource) = &rm.resource {
            map.serialize_entry("resource", &JsResource(resource))?;
        }
        map.serialize_entry("scopeMetrics", &Seq(&rm.scope_metrics, JsScopeMetrics))?;
        if !rm.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &rm.schema_url)?;
        }
        map.end()
    }
}

struct JsScopeMetrics<'a>(&'a ScopeMetrics);
impl Serialize for JsScopeMetrics<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sm = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(scope) = &sm.scope {
            map.serialize_entry("scope", &JsScope(scope))?;
        }
        map.serialize_entry("metrics", &Seq(&sm.metrics, JsMetric))?;
        if !sm.schema_url.is_empty() {
            map.serialize_entry("schemaUrl", &sm.schema_url)?;
        }
        map.end()
    }
}

struct JsMetric<'a>(&'a Metric);
impl Serialize for JsMetric<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", &m.name)?;
        if !m.description.is_empty() {
            map.serialize_entry("description", &m.description)?;
        }
        if !m.unit.is_empty() {
            map.serialize_entry("unit", &m.unit)?;
        }
        if !m.metadata.is_empty() {
            map.serialize_entry("metadata", &Seq(&m.metadata, JsKeyValue))?;
        }
        match &m.data {
            None => {}
            Some(metric::Data::Gauge(g)) => map.serialize_entry("gauge", &Points(&g.data_points, None, None))?,
            Some(metric::Data::Sum(sum)) => map.serialize_entry(
                "sum",
                &Points(
                    &sum.data_points,
                    Some(sum.aggregation_temporality),
                    Some(sum.is_monotonic),
                ),
            )?,
            Some(metric::Data::Histogram(h)) => map.serialize_entry(
                "histogram",
                &Points(&h.data_points, Some(h.aggregation_temporality), None),
            )?,
            Some(metric::Data::ExponentialHistogram(h)) => map.serialize_entry(
                "exponentialHistogram",
                &Points(&h.data_points, Some(h.aggregation_temporality), None),
            )?,
            Some(metric::Data::Summary(sm)) => map.serialize_entry("summary", &Points(&sm.data_points, None, None))?,
        }
        map.end()
    }
}

/// `{"dataPoints": [...], "aggregationTemporality": n, "isMonotonic": b}`.
struct Points<'a, P>(&'a [P], Option<i32>, Option<bool>);
impl<P> Serialize for Points<'_, P>
where
    for<'p> JsPoint<'p, P>: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("dataPoints", &Seq(self.0, JsPoint))?;
        if let Some(temporality) = self.1.filter(|t| *t != 0) {
            map.serialize_entry("aggregationTemporality", &temporality)?;
        }
        if let Some(true) = self.2 {
            map.serialize_entry("isMonotonic", &true)?;
        }
        map.end()
    }
}

struct JsPoint<'a, P>(&'a P);

/// A double as OTLP/JSON writes it: a number, or the strings for NaN and the infinities.
struct JsDouble(f64);
impl Serialize for JsDouble {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v.is_infinite() && v > 0.0 => s.serialize_str("Infinity"),
            v if v.is_infinite() => s.serialize_str("-Infinity"),
            v => s.serialize_f64(v),
        }
    }
}

struct Doubles<'a>(&'a [f64]);
impl Serialize for Doubles<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| JsDouble(*v)))
    }
}

struct Counts<'a>(&'a [u64]);
impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| Int64Str(*v)))
    }
}

/// The fields every data point type shares.
fn common_fields<M: SerializeMap>(
    map: &mut M,
    attributes: &[crate::otlp::KeyValue],
    (start, time): (u64, u64),
    flags: u32,
) -> Result<(), M::Error> {
    if !attributes.is_empty() {
        map.serialize_entry("attributes", &Seq(attributes, JsKeyValue))?;
    }
    if start != 0 {
        map.serialize_entry("startTimeUnixNano", &Int64Str(start))?;
    }
    map.serialize_entry("timeUnixNano", &Int64Str(time))?;
    if flags != 0 {
        map.serialize_entry("flags", &flags)?;
    }
    Ok(())
}

fn exemplar_fields<M: SerializeMap>(map: &mut M, exemplars: &[Exemplar]) -> Result<(), M::Error> {
    if !exemplars.is_empty() {
        map.serialize_entry("exemplars", &Seq(exemplars, JsExemplar))?;
    }
    Ok(())
}

struct JsExemplar<'a>(&'a Exemplar);
impl Serialize for JsExemplar<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        if !e.filtered_attributes.is_empty() {
            map.serialize_entry("filteredAttributes", &Seq(&e.filtered_attributes, JsKeyValue))?;
        }
        map.serialize_entry("timeUnixNano", &Int64Str(e.time_unix_nano))?;
        if !e.span_id.is_empty() {
            map.serialize_entry("spanId", &Hex(&e.span_id))?;
        }
        if !e.trace_id.is_empty() {
            map.serialize_entry("traceId", &Hex(&e.trace_id))?;
        }
        match e.value {
            Some(exemplar::Value::AsDouble(v)) => map.serialize_entry("asDouble", &JsDouble(v))?,
            Some(exemplar::Value::AsInt(v)) => map.serialize_entry("asInt", &Int64Str(v))?,
            None => {}
        }
        map.end()
    }
}

impl Serialize for JsPoint<'_, NumberDataPoint> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        common_fields(
            &mut map,
            &p.attributes,
            (p.start_time_unix_nano, p.time_unix_nano),
            p.flags,
        )?;
        match p.value {
            Some(number_data_point::Value::AsDouble(v)) => map.serialize_entry("asDouble", &JsDouble(v))?,
            Some(number_data_point::Value::AsInt(v)) => map.serialize_entry("asInt", &Int64Str(v))?,
            None => {}
        }
        exemplar_fields(&mut map, &p.exemplars)?;
        map.end()
    }
}

impl Serialize for JsPoint<'_, HistogramDataPoint> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        common_fields(
            &mut map,
            &p.attributes,
            (p.start_time_unix_nano, p.time_unix_nano),
            p.flags,
        )?;
        map.serialize_entry("count", &Int64Str(p.count))?;
        if let Some(sum) = p.sum {
            map.serialize_entry("sum", &JsDouble(sum))?;
        }
        map.serialize_entry("bucketCounts", &Counts(&p.bucket_counts))?;
        map.serialize_entry("explicitBounds", &Doubles(&p.explicit_bounds))?;
        exemplar_fields(&mut map, &p.exemplars)?;
        if let Some(min) = p.min {
            map.serialize_entry("min", &JsDouble(min))?;
        }
        if let Some(max) = p.max {
            map.serialize_entry("max", &JsDouble(max))?;
        }
        map.end()
    }
}

struct JsBuckets<'a>(&'a Buckets);
impl Serialize for JsBuckets<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if self.0.offset != 0 {
            map.serialize_entry("offset", &self.0.offset)?;
        }
        map.serialize_entry("bucketCounts", &Counts(&self.0.bucket_counts))?;
        map.end()
    }
}

impl Serialize for JsPoint<'_, ExponentialHistogramDataPoint> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        common_fields(
            &mut map,
            &p.attributes,
            (p.start_time_unix_nano, p.time_unix_nano),
            p.flags,
        )?;
        map.serialize_entry("count", &Int64Str(p.count))?;
        if let Some(sum) = p.sum {
            map.serialize_entry("sum", &JsDouble(sum))?;
        }
        if p.scale != 0 {
            map.serialize_entry("scale", &p.scale)?;
        }
        if p.zero_count != 0 {
            map.serialize_entry("zeroCount", &Int64Str(p.zero_count))?;
        }
        if let Some(b) = &p.positive {
            map.serialize_entry("positive", &JsBuckets(b))?;
        }
        if let Some(b) = &p.negative {
            map.serialize_entry("negative", &JsBuckets(b))?;
        }
        exemplar_fields(&mut map, &p.exemplars)?;
        if let Some(min) = p.min {
            map.serialize_entry("min", &JsDouble(min))?;
        }
        if let Some(max) = p.max {
            map.serialize_entry("max", &JsDouble(max))?;
        }
        if p.zero_threshold != 0.0 {
            map.serialize_entry("zeroThreshold", &JsDouble(p.zero_threshold))?;
        }
        map.end()
    }
}

impl Serialize for JsPoint<'_, SummaryDataPoint> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        common_fields(
            &mut map,
            &p.attributes,
            (p.start_time_unix_nano, p.time_unix_nano),
            p.flags,
        )?;
        map.serialize_entry("count", &Int64Str(p.count))?;
        map.serialize_entry("sum", &JsDouble(p.sum))?;
        let quantiles: Vec<(JsDouble, JsDouble)> = p
            .quantile_values
            .iter()
            .map(|q| (JsDouble(q.quantile), JsDouble(q.value)))
            .collect();
        map.serialize_entry("quantileValues", &Quantiles(&quantiles))?;
        map.end()
    }
}

struct Quantiles<'a>(&'a [(JsDouble, JsDouble)]);
impl Serialize for Quantiles<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(q, v)| {
            let mut m = serde_json::Map::new();
            m.insert("quantile".into(), serde_json::to_value(q).unwrap_or_default());
            m.insert("value".into(), serde_json::to_value(v).unwrap_or_default());
            m
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric_of(body: &str) -> Metric {
        decode_metrics_request(body.as_bytes()).unwrap().resource_metrics[0].scope_metrics[0].metrics[0].clone()
    }

    #[test]
    fn oneofs_are_decided_by_kind_not_by_order() {
        // Gauge wins over sum whatever the order; the double wins over the int.
        let m = metric_of(
            r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m",
            "sum":{"dataPoints":[{"asInt":"1"}],"isMonotonic":true,"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA"},
            "gauge":{"dataPoints":[{"asInt":"7","asDouble":2.5,"exemplars":[{"asDouble":null,"asInt":3}]}]}}]}]}]}"#,
        );
        let Some(metric::Data::Gauge(gauge)) = m.data else {
            panic!("{m:?}")
        };
        assert_eq!(
            gauge.data_points[0].value,
            Some(number_data_point::Value::AsDouble(2.5))
        );
        assert_eq!(gauge.data_points[0].exemplars[0].value, Some(exemplar::Value::AsInt(3)));
        let m = metric_of(
            r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":null,
            "sum":{"dataPoints":[{"asInt":"1"}],"isMonotonic":"yes","aggregation_temporality":2}}]}]}]}"#,
        );
        let Some(metric::Data::Sum(sum)) = m.data else {
            panic!("{m:?}")
        };
        // A non-boolean isMonotonic reads as false rather than failing the request.
        assert!(!sum.is_monotonic);
        assert_eq!(sum.aggregation_temporality, 2);
    }

    #[test]
    fn histogram_fields_keep_their_presence_and_ranges() {
        let m = metric_of(
            r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{
            "count":"3","sum":0,"min":null,"scale":-2,"zeroThreshold":null,"positive":{"offset":1,"bucketCounts":["1",2]}}]}}]}]}]}"#,
        );
        let Some(metric::Data::ExponentialHistogram(h)) = m.data else {
            panic!("{m:?}")
        };
        let p = &h.data_points[0];
        assert_eq!(
            (p.count, p.sum, p.min, p.scale, p.zero_threshold),
            (3, Some(0.0), None, -2, 0.0)
        );
        assert_eq!(p.positive.as_ref().unwrap().bucket_counts, vec![1, 2]);
        let err = decode_metrics_request(
            br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{"scale":4294967296}]}}]}]}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("metrics[0].exponentialHistogram.dataPoints[0].scale: 4294967296 does not fit in 32 bits"),
            "{err}"
        );
    }

    #[test]
    fn every_point_type_round_trips() {
        let body = br#"{"resourceMetrics":[{"scopeMetrics":[{"scope":{"name":"com.anthropic.claude_code"},"metrics":[
          {"name":"claude_code.token.usage","unit":"tokens","sum":{"aggregationTemporality":1,"isMonotonic":true,
            "dataPoints":[{"attributes":[{"key":"type","value":{"stringValue":"input"}}],"timeUnixNano":"1","asInt":"1234"}]}},
          {"name":"g","gauge":{"dataPoints":[{"timeUnixNano":2,"asDouble":0.014229900000032103}]}},
          {"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[{"timeUnixNano":"3","count":"3","sum":6.5,
            "bucketCounts":["1",2],"explicitBounds":[1.0],"min":1,"max":4,
            "exemplars":[{"timeUnixNano":"3","asInt":5,"traceId":"5b8efff798038103d269b633813fc60c"}]}]}},
          {"name":"e","exponentialHistogram":{"dataPoints":[{"timeUnixNano":"4","count":"2","scale":-1,"zeroCount":"1",
            "positive":{"offset":-2,"bucketCounts":["1"]}}]}},
          {"name":"s","summary":{"dataPoints":[{"timeUnixNano":"5","count":"2","sum":3,
            "quantileValues":[{"quantile":0.5,"value":1.5}]}]}}]}]}]}"#;
        let request = decode_metrics_request(body).unwrap();
        let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
        assert_eq!(metrics.len(), 5);
        let Some(metric::Data::Sum(sum)) = &metrics[0].data else {
            panic!("sum")
        };
        assert!(sum.is_monotonic);
        assert_eq!(sum.data_points[0].value, Some(number_data_point::Value::AsInt(1234)));
        let again = decode_metrics_request(&encode_metrics_request(&request)).unwrap();
        assert_eq!(again, request);
    }

    /// The fuzzer found a histogram `min` that came back one ulp off: doubles must parse
    /// exactly (serde_json's `float_roundtrip`), or intake changes data it never transforms.
    #[test]
    fn doubles_come_back_bit_identical() {
        for text in [
            "11.943430000000035",
            "0.014229900000032103",
            "7.895584999999983",
            "1e-300",
            "1.7976931348623157e308",
        ] {
            let body = format!(
                r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"name":"h","gauge":{{"dataPoints":[{{"timeUnixNano":"1","asDouble":{text}}}]}}}}]}}]}}]}}"#
            );
            let request = decode_metrics_request(body.as_bytes()).unwrap();
            let Some(metric::Data::Gauge(g)) = &request.resource_metrics[0].scope_metrics[0].metrics[0].data else {
                panic!("gauge")
            };
            let expected: f64 = text.parse().unwrap();
            assert_eq!(
                g.data_points[0].value,
                Some(number_data_point::Value::AsDouble(expected)),
                "{text}"
            );
            let again = decode_metrics_request(&encode_metrics_request(&request)).unwrap();
            assert_eq!(again, request, "{text}");
        }
    }
}
