//! OTLP/JSON for metrics: `ExportMetricsServiceRequest` (every data point type) and its
//! response.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::decode::{
    array, as_object, at, attributes, enum_value, f64_value, field, i64_value, opt_id, opt_list, opt_message,
    opt_string, opt_u32, opt_u64, resource, scope, u64_value, Res,
};
use super::encode::{partial_success_response, write_into, Hex, Int64Str, JsKeyValue, JsResource, JsScope, Seq};
use super::tree::{Json as Value, Object};
use crate::otlp::metrics::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use crate::otlp::{DecodeError, ExportMetricsServiceRequest, ExportMetricsServiceResponse};

const TEMPORALITIES: &[&str] = &[
    "AGGREGATION_TEMPORALITY_UNSPECIFIED",
    "AGGREGATION_TEMPORALITY_DELTA",
    "AGGREGATION_TEMPORALITY_CUMULATIVE",
];

pub fn decode_metrics_request(body: &[u8]) -> Result<ExportMetricsServiceRequest, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ExportMetricsServiceRequest::default());
    }
    let value = Value::parse(body).map_err(|e| DecodeError::Json(e.to_string()))?;
    let object = as_object(&value).map_err(DecodeError::Json)?;
    let mut request = ExportMetricsServiceRequest::default();
    if let Some(list) = field(object, "resourceMetrics", "resource_metrics") {
        request.resource_metrics =
            array(list, resource_metrics).map_err(|e| DecodeError::Json(format!("resourceMetrics{e}")))?;
    }
    Ok(request)
}

fn resource_metrics(value: &Value) -> Res<ResourceMetrics> {
    let object = as_object(value)?;
    Ok(ResourceMetrics {
        resource: opt_message(object, "resource", "resource", resource)?,
        scope_metrics: opt_list(object, "scopeMetrics", "scope_metrics", scope_metrics)?,
        schema_url: opt_string(object, "schemaUrl", "schema_url")?,
    })
}

fn scope_metrics(value: &Value) -> Res<ScopeMetrics> {
    let object = as_object(value)?;
    Ok(ScopeMetrics {
        scope: opt_message(object, "scope", "scope", scope)?,
        metrics: opt_list(object, "metrics", "metrics", metric_value)?,
        schema_url: opt_string(object, "schemaUrl", "schema_url")?,
    })
}

fn temporality(object: &Object<'_>) -> Res<i32> {
    field(object, "aggregationTemporality", "aggregation_temporality")
        .map_or(Ok(0), |v| at("aggregationTemporality", enum_value(v, TEMPORALITIES)))
}

fn metric_value(value: &Value) -> Res<Metric> {
    let object = as_object(value)?;
    let points = |o: &Object<'_>| opt_list(o, "dataPoints", "data_points", number_point);
    let data = if let Some(v) = field(object, "gauge", "gauge") {
        let o = at("gauge", as_object(v))?;
        Some(metric::Data::Gauge(Gauge {
            data_points: at("gauge", points(o))?,
        }))
    } else if let Some(v) = field(object, "sum", "sum") {
        let o = at("sum", as_object(v))?;
        Some(metric::Data::Sum(Sum {
            data_points: at("sum", points(o))?,
            aggregation_temporality: at("sum", temporality(o))?,
            is_monotonic: field(o, "isMonotonic", "is_monotonic")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }))
    } else if let Some(v) = field(object, "histogram", "histogram") {
        let o = at("histogram", as_object(v))?;
        Some(metric::Data::Histogram(Histogram {
            data_points: at("histogram", opt_list(o, "dataPoints", "data_points", histogram_point))?,
            aggregation_temporality: at("histogram", temporality(o))?,
        }))
    } else if let Some(v) = field(object, "exponentialHistogram", "exponential_histogram") {
        let o = at("exponentialHistogram", as_object(v))?;
        Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: at(
                "exponentialHistogram",
                opt_list(o, "dataPoints", "data_points", exponential_point),
            )?,
            aggregation_temporality: at("exponentialHistogram", temporality(o))?,
        }))
    } else if let Some(v) = field(object, "summary", "summary") {
        let o = at("summary", as_object(v))?;
        Some(metric::Data::Summary(Summary {
            data_points: at("summary", opt_list(o, "dataPoints", "data_points", summary_point))?,
        }))
    } else {
        None
    };
    Ok(Metric {
        name: opt_string(object, "name", "name")?,
        description: opt_string(object, "description", "description")?,
        unit: opt_string(object, "unit", "unit")?,
        metadata: field(object, "metadata", "metadata")
            .map_or(Ok(Vec::new()), |v| at("metadata", array(v, super::decode::key_value)))?,
        data,
    })
}

fn opt_f64(object: &Object<'_>, camel: &str, snake: &str) -> Res<Option<f64>> {
    field(object, camel, snake).map(|v| at(camel, f64_value(v))).transpose()
}

fn times(object: &Object<'_>) -> Res<(u64, u64)> {
    Ok((
        opt_u64(object, "startTimeUnixNano", "start_time_unix_nano")?,
        opt_u64(object, "timeUnixNano", "time_unix_nano")?,
    ))
}

fn exemplars(object: &Object<'_>) -> Res<Vec<Exemplar>> {
    opt_list(object, "exemplars", "exemplars", exemplar_value)
}

fn exemplar_value(value: &Value) -> Res<Exemplar> {
    let object = as_object(value)?;
    let value = if let Some(v) = field(object, "asDouble", "as_double") {
        Some(exemplar::Value::AsDouble(at("asDouble", f64_value(v))?))
    } else {
        field(object, "asInt", "as_int")
            .map(|v| at("asInt", i64_value(v)).map(exemplar::Value::AsInt))
            .transpose()?
    };
    Ok(Exemplar {
        filtered_attributes: field(object, "filteredAttributes", "filtered_attributes")
            .map_or(Ok(Vec::new()), |v| {
                at("filteredAttributes", array(v, super::decode::key_value))
            })?,
        time_unix_nano: opt_u64(object, "timeUnixNano", "time_unix_nano")?,
        span_id: opt_id(object, "spanId", "span_id")?,
        trace_id: opt_id(object, "traceId", "trace_id")?,
        value,
    })
}

fn number_point(value: &Value) -> Res<NumberDataPoint> {
    let object = as_object(value)?;
    let (start_time_unix_nano, time_unix_nano) = times(object)?;
    let value = if let Some(v) = field(object, "asDouble", "as_double") {
        Some(number_data_point::Value::AsDouble(at("asDouble", f64_value(v))?))
    } else {
        field(object, "asInt", "as_int")
            .map(|v| at("asInt", i64_value(v)).map(number_data_point::Value::AsInt))
            .transpose()?
    };
    Ok(NumberDataPoint {
        attributes: attributes(object)?,
        start_time_unix_nano,
        time_unix_nano,
        exemplars: exemplars(object)?,
        flags: opt_u32(object, "flags", "flags")?,
        value,
    })
}

fn histogram_point(value: &Value) -> Res<HistogramDataPoint> {
    let object = as_object(value)?;
    let (start_time_unix_nano, time_unix_nano) = times(object)?;
    Ok(HistogramDataPoint {
        attributes: attributes(object)?,
        start_time_unix_nano,
        time_unix_nano,
        count: opt_u64(object, "count", "count")?,
        sum: opt_f64(object, "sum", "sum")?,
        bucket_counts: opt_list(object, "bucketCounts", "bucket_counts", u64_value)?,
        explicit_bounds: opt_list(object, "explicitBounds", "explicit_bounds", f64_value)?,
        exemplars: exemplars(object)?,
        flags: opt_u32(object, "flags", "flags")?,
        min: opt_f64(object, "min", "min")?,
        max: opt_f64(object, "max", "max")?,
    })
}

fn buckets(value: &Value) -> Res<Buckets> {
    let object = as_object(value)?;
    let offset = field(object, "offset", "offset").map_or(Ok(0), |v| at("offset", i64_value(v)))?;
    Ok(Buckets {
        offset: i32::try_from(offset).map_err(|_| format!(".offset: {offset} does not fit in 32 bits"))?,
        bucket_counts: opt_list(object, "bucketCounts", "bucket_counts", u64_value)?,
    })
}

fn exponential_point(value: &Value) -> Res<ExponentialHistogramDataPoint> {
    let object = as_object(value)?;
    let (start_time_unix_nano, time_unix_nano) = times(object)?;
    let scale = field(object, "scale", "scale").map_or(Ok(0), |v| at("scale", i64_value(v)))?;
    Ok(ExponentialHistogramDataPoint {
        attributes: attributes(object)?,
        start_time_unix_nano,
        time_unix_nano,
        count: opt_u64(object, "count", "count")?,
        sum: opt_f64(object, "sum", "sum")?,
        scale: i32::try_from(scale).map_err(|_| format!(".scale: {scale} does not fit in 32 bits"))?,
        zero_count: opt_u64(object, "zeroCount", "zero_count")?,
        positive: opt_message(object, "positive", "positive", buckets)?,
        negative: opt_message(object, "negative", "negative", buckets)?,
        flags: opt_u32(object, "flags", "flags")?,
        exemplars: exemplars(object)?,
        min: opt_f64(object, "min", "min")?,
        max: opt_f64(object, "max", "max")?,
        zero_threshold: opt_f64(object, "zeroThreshold", "zero_threshold")?.unwrap_or(0.0),
    })
}

fn summary_point(value: &Value) -> Res<SummaryDataPoint> {
    let object = as_object(value)?;
    let (start_time_unix_nano, time_unix_nano) = times(object)?;
    let quantile = |v: &Value| -> Res<ValueAtQuantile> {
        let o = as_object(v)?;
        Ok(ValueAtQuantile {
            quantile: opt_f64(o, "quantile", "quantile")?.unwrap_or(0.0),
            value: opt_f64(o, "value", "value")?.unwrap_or(0.0),
        })
    };
    Ok(SummaryDataPoint {
        attributes: attributes(object)?,
        start_time_unix_nano,
        time_unix_nano,
        count: opt_u64(object, "count", "count")?,
        sum: opt_f64(object, "sum", "sum")?.unwrap_or(0.0),
        quantile_values: opt_list(object, "quantileValues", "quantile_values", quantile)?,
        flags: opt_u32(object, "flags", "flags")?,
    })
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
