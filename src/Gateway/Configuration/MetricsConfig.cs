namespace Exchange.Gateway.Configuration;

/// <summary>
/// The metrics endpoint of <c>exchange serve</c> (docs/operations.md): Prometheus text at <c>http://ADDRESS:PORT/metrics</c>,
/// on the gateway's address. The instruments themselves (meter <c>Exchange</c>) exist whenever this is enabled, so
/// <c>dotnet-counters monitor --counters Exchange</c> reads them too.
/// </summary>
public sealed record MetricsConfig
{
    /// <summary>Whether the server keeps its metrics and serves them.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>HTTP port of the scrape endpoint: unset = the gateway's port + 3 (a free one when that is 0), 0 picks a free one.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Port { get; init; }

    /// <summary>
    /// Latency samples held between two drains into the histograms (every 100 ms), per recording thread; a power of two.
    /// A sample that finds the buffer full is dropped and counted (<c>exchange_metrics_samples_dropped_total</c>).
    /// </summary>
    public int SampleBuffer { get; init; } = 65536;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new InvalidDataException($"metrics.port {Port} out of range");
        if (SampleBuffer < 2 || SampleBuffer > 1 << 24 || (SampleBuffer & (SampleBuffer - 1)) != 0)
            throw new InvalidDataException("metrics.sampleBuffer must be a power of two in 2..16777216");
    }
}
