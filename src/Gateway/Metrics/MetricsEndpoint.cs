using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// Serves one <see cref="ExchangeMeter"/> as Prometheus text at <c>/metrics</c> on the metrics port, through
/// OpenTelemetry's Prometheus exporter (docs/operations.md says why that one). The exporter collects when scraped:
/// it calls the observable instruments on the scraping request's thread.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    /// <summary>Bucket bounds of the latency histograms, in seconds: 5 µs to 1 s.</summary>
    internal static readonly double[] LatencyBuckets =
        [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1];

    public const string Path = "/metrics";

    private readonly MeterProvider _provider;

    public MetricsEndpoint(Meter meter)
    {
        _provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("exchange"))
            .AddMeter(meter.Name)
            // Only this server's meter: another server in the same process (tests) has a meter of the same name.
            .AddView(instrument => instrument.Meter != meter ? MetricStreamConfiguration.Drop
                : instrument is Histogram<double> ? new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets }
                : null)
            // Every scrape collects afresh: a cached answer would hide the last 300 ms from a quick scraper.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
    }

    /// <summary>Answers <c>GET /metrics</c> on connections to <paramref name="port"/> (read per request: it may be
    /// known only once the server has bound it).</summary>
    public void Map(IApplicationBuilder app, Func<int> port) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(_provider,
            context => context.Connection.LocalPort == port() && context.Request.Path == Path,
            path: null, configureBranchedPipeline: null, optionsName: null);

    public void Dispose() => _provider.Dispose();
}
