//! Malformed requests are refused with INVALID_ARGUMENT and a
//! `google.rpc.BadRequest` whose field violations name every offending
//! path (`lead.events[3].occurred_at`), the server's limits included
//! (`--max-events-per-lead`, `--max-batch-size`); in a batch, one bad lead
//! gets its own error while the others are decided, in order; and the
//! server keeps serving afterwards.
//!
//! A CRM integration fixes its data from these paths, so they are part of
//! the contract; this checks them through a real client against the real
//! binary started with small limits (5 events per lead, 3 leads per batch).

use hql_tests::{
    AS_OF_MS, Hqld, LeadBuilder, PluginDir, days_before, default_policy, event, field_violations, hql_lead,
    mql_lead, pb, pql_lead, rpc_field_violations, serve_args, sql_lead,
};
use tonic::Code;

/// The default policy and plugins, with at most 5 events per lead and 3
/// leads per batch.
fn serve_with_small_limits() -> (PluginDir, Hqld) {
    let plugins = PluginDir::bundled();
    let policy = default_policy();
    let mut args = serve_args(&policy, plugins.path());
    args.extend(["--max-events-per-lead", "5", "--max-batch-size", "3"].map(Into::into));
    let server = Hqld::start(args);
    (plugins, server)
}

/// The status of a Qualify that must fail.
async fn refused(server: &Hqld, request: pb::QualifyRequest) -> tonic::Status {
    match server.client().await.qualify(request).await {
        Ok(answer) => panic!("expected INVALID_ARGUMENT, got {:?}", answer.into_inner()),
        Err(status) => status,
    }
}

fn paths(violations: &[(String, String)]) -> Vec<&str> {
    violations.iter().map(|(field, _)| field.as_str()).collect()
}

fn pair(field: &str, description: &str) -> (String, String) {
    (field.to_string(), description.to_string())
}

/// A well-formed lead with five events (the limit), for breaking one field.
fn five_event_lead(lead_id: &str) -> LeadBuilder {
    mql_lead(lead_id, AS_OF_MS).events([
        event(pb::EventType::CaseStudyView, days_before(AS_OF_MS, 4)),
        event(pb::EventType::ProductPageView, days_before(AS_OF_MS, 2)),
    ])
}

#[tokio::test]
async fn a_lead_without_an_id_is_refused_naming_lead_lead_id() {
    let (_plugins, server) = serve_with_small_limits();
    let status = refused(&server, sql_lead("", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "invalid request: lead.lead_id: is required");
    assert_eq!(field_violations(&status), [pair("lead.lead_id", "is required")]);

    // Blank is missing too; and a request without a lead names `lead`.
    let status = refused(&server, sql_lead("   ", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(paths(&field_violations(&status)), ["lead.lead_id"]);
    let status = refused(&server, pb::QualifyRequest { lead: None, as_of: None }).await;
    assert_eq!(field_violations(&status), [pair("lead", "is required")]);
}

#[tokio::test]
async fn negative_counts_are_all_reported_at_once_with_their_paths() {
    let (_plugins, server) = serve_with_small_limits();
    // A CRM export gone wrong: -1 sentinels where counts were unknown.
    let mut lead = pql_lead("priya-negative", AS_OF_MS).employees(-1).bant(pb::Bant {
        budget_amount: Some(-25_000.0),
        timeline_days: Some(-1),
        ..pb::Bant::default()
    });
    let mut usage = lead.clone().build().product_usage.expect("usage");
    usage.seats = Some(-1);
    usage.invited_teammates = Some(-3);
    usage.plan_limit_hits = Some(-1);
    lead = lead.product_usage(usage);

    let status = refused(&server, lead.qualify_request(AS_OF_MS)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&status),
        [
            pair("lead.company.employee_count", "must not be negative, got -1"),
            pair("lead.bant.budget_amount", "must not be negative, got -25000"),
            pair("lead.bant.timeline_days", "must not be negative, got -1"),
            pair("lead.product_usage.seats", "must not be negative, got -1"),
            pair("lead.product_usage.invited_teammates", "must not be negative, got -3"),
            pair("lead.product_usage.plan_limit_hits", "must not be negative, got -1"),
        ]
    );
    assert!(status.message().starts_with("invalid request: 6 violations; first lead.company.employee_count"));
}

#[tokio::test]
async fn out_of_range_values_and_unknown_enums_are_refused() {
    let (_plugins, server) = serve_with_small_limits();
    let mut lead = pql_lead("priya-out-of-range", AS_OF_MS).revenue(f64::INFINITY).build();
    let usage = lead.product_usage.as_mut().expect("usage");
    usage.active_days_last_30 = Some(31);
    usage.active_days_prev_30 = Some(-2);
    lead.contact.as_mut().expect("contact").seniority = 42;
    lead.events[0].value = Some(-3.0);
    let request = pb::QualifyRequest {
        lead: Some(lead),
        as_of: Some(pb_timestamp(-86_400, 0)), // before 1970
    };

    let status = refused(&server, request).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        paths(&field_violations(&status)),
        [
            "as_of",
            "lead.contact.seniority",
            "lead.company.annual_revenue",
            "lead.events[0].value",
            "lead.product_usage.active_days_last_30",
            "lead.product_usage.active_days_prev_30",
        ]
    );
    let violations = field_violations(&status);
    assert_eq!(violations[1].1, "unknown enum value 42");
    assert_eq!(violations[2].1, "must be a finite number, got inf");
    assert_eq!(violations[4].1, "must be between 0 and 30, got 31");
}

fn pb_timestamp(seconds: i64, nanos: i32) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos }
}

#[tokio::test]
async fn an_event_without_a_time_is_refused_by_its_index() {
    let (_plugins, server) = serve_with_small_limits();
    let mut lead = five_event_lead("tom-untimed").build();
    assert_eq!(lead.events.len(), 5);
    lead.events[3].occurred_at = None;

    let request = pb::QualifyRequest { lead: Some(lead.clone()), as_of: Some(hql_tests::ts(AS_OF_MS)) };
    let status = refused(&server, request).await;
    assert_eq!(field_violations(&status), [pair("lead.events[3].occurred_at", "is required")]);
    assert_eq!(status.message(), "invalid request: lead.events[3].occurred_at: is required");

    // Explain validates exactly the same way.
    let explain = pb::ExplainRequest { lead: Some(lead), as_of: Some(hql_tests::ts(AS_OF_MS)) };
    let status = server.client().await.explain(explain).await.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status), [pair("lead.events[3].occurred_at", "is required")]);
}

#[tokio::test]
async fn more_events_than_the_server_allows_are_refused_naming_lead_events() {
    let (_plugins, server) = serve_with_small_limits();
    // Five events is the limit and fine...
    let at_limit = server.client().await.qualify(five_event_lead("tom-five").qualify_request(AS_OF_MS)).await;
    assert_eq!(
        at_limit.expect("five events are accepted").into_inner().decision.expect("d").lead_id,
        "tom-five"
    );
    // ...six are not.
    let six = five_event_lead("tom-six").event(event(pb::EventType::BlogView, days_before(AS_OF_MS, 1)));
    let status = refused(&server, six.qualify_request(AS_OF_MS)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status), [pair("lead.events", "must have at most 5 events, got 6")]);
}

#[tokio::test]
async fn a_batch_over_the_limit_fails_as_a_whole_naming_leads() {
    let (_plugins, server) = serve_with_small_limits();
    let leads = vec![
        hql_lead("b-0", AS_OF_MS).build(),
        sql_lead("b-1", AS_OF_MS).build(),
        pql_lead("b-2", AS_OF_MS).build(),
        mql_lead("b-3", AS_OF_MS).build(),
    ];
    let status = server
        .client()
        .await
        .qualify_batch(pb::QualifyBatchRequest { leads, as_of: Some(hql_tests::ts(AS_OF_MS)) })
        .await
        .expect_err("four leads exceed --max-batch-size 3");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status), [pair("leads", "must have at most 3 leads, got 4")]);
}

#[tokio::test]
async fn one_bad_lead_in_a_batch_gets_its_own_error_and_the_others_are_decided_in_order() {
    use pb::qualify_batch_result::Outcome;

    let (_plugins, server) = serve_with_small_limits();
    let bad = mql_lead("b-bad", AS_OF_MS).employees(-80);
    let batch = pb::QualifyBatchRequest {
        leads: vec![
            pql_lead("b-priya", AS_OF_MS).build(),
            bad.build(),
            sql_lead("b-marcus", AS_OF_MS).build(),
        ],
        as_of: Some(hql_tests::ts(AS_OF_MS)),
    };
    let results =
        server.client().await.qualify_batch(batch).await.expect("the call succeeds").into_inner().results;
    assert_eq!(results.len(), 3);

    let Some(Outcome::Decision(first)) = &results[0].outcome else { panic!("{:?}", results[0]) };
    assert_eq!((first.lead_id.as_str(), first.stage()), ("b-priya", pb::Stage::Pql));
    let Some(Outcome::Error(error)) = &results[1].outcome else { panic!("{:?}", results[1]) };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    // Within a batch the path is rooted at the request's `leads[index]`.
    assert_eq!(
        rpc_field_violations(error),
        [pair("leads[1].company.employee_count", "must not be negative, got -80")]
    );
    assert_eq!(
        error.message,
        "invalid request: leads[1].company.employee_count: must not be negative, got -80"
    );
    let Some(Outcome::Decision(third)) = &results[2].outcome else { panic!("{:?}", results[2]) };
    assert_eq!((third.lead_id.as_str(), third.stage()), ("b-marcus", pb::Stage::Sql));
}

#[tokio::test]
async fn the_server_keeps_serving_after_refusing_requests() {
    let (_plugins, mut server) = serve_with_small_limits();
    let mut client = server.client().await;
    for _ in 0..3 {
        let status =
            client.qualify(sql_lead("", AS_OF_MS).qualify_request(AS_OF_MS)).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        let status = client
            .qualify_batch(pb::QualifyBatchRequest { leads: vec![pb::Lead::default(); 4], as_of: None })
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
    }
    // The same connection still answers, and the process is alive.
    let decision =
        client.qualify(sql_lead("marcus-after", AS_OF_MS).qualify_request(AS_OF_MS)).await.expect("served");
    assert_eq!(decision.into_inner().decision.expect("decision").stage(), pb::Stage::Sql);
    let listed = client.list_scorers(pb::ListScorersRequest {}).await.expect("listed").into_inner();
    assert_eq!(listed.scorers.len(), 5);
    assert!(server.is_running());
}
