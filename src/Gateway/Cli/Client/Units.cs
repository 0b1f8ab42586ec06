using System.Globalization;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Cli.Client;

/// <summary>Human units (prices, sizes, money as decimals) to and from the protocol's ticks, lots and minor units.</summary>
public sealed class Units(GatewayConfig config)
{
    private readonly decimal _money = InstrumentConfig.Pow10(config.Decimals);

    public int InstrumentCount => config.Instruments.Count;

    /// <summary>An instrument by name (case-insensitive) or id.</summary>
    public bool TryInstrument(string text, out int id)
    {
        id = config.Instruments.FindIndex(i => string.Equals(i.Name, text, StringComparison.OrdinalIgnoreCase));
        if (id >= 0) return true;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id < config.Instruments.Count;
    }

    public string Name(int instrument) =>
        instrument >= 0 && instrument < config.Instruments.Count ? config.Instruments[instrument].Name : $"#{instrument}";

    public bool TryTicks(int instrument, string text, out long ticks) => TryWhole(text, config.Instruments[instrument].Tick, out ticks);

    public bool TryLots(int instrument, string text, out long lots) => TryWhole(text, config.Instruments[instrument].Lot, out lots);

    public bool TryMoney(string text, out long units) => TryWhole(text, 1 / _money, out units);

    public string Price(int instrument, long ticks) => Known(instrument) ? Format(ticks * config.Instruments[instrument].Tick) : $"{ticks}t";

    public string Size(int instrument, long lots) => Known(instrument) ? Format(lots * config.Instruments[instrument].Lot) : $"{lots}l";

    public string Money(long units) => Format(units / _money);

    private bool Known(int instrument) => instrument >= 0 && instrument < config.Instruments.Count;

    private static string Format(decimal d) => d.ToString("0.##########", CultureInfo.InvariantCulture);

    private static bool TryWhole(string text, decimal unit, out long whole)
    {
        whole = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d))
            return false;
        var q = d / unit;
        if (q != decimal.Truncate(q) || q > long.MaxValue || q < long.MinValue) return false;
        whole = (long)q;
        return true;
    }
}
