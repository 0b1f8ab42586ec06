using System.Text;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.Testing;

/// <summary>A scenario broke a property: carries the cause and the commands that led there, printed as a C#
/// reproduction (options, instruments, commands) ready to paste into a unit test.</summary>
public sealed class ScenarioFailedException(Scenario scenario, IReadOnlyList<Command> commands, Exception cause)
    : Exception(Describe(scenario, commands, cause), cause)
{
    public IReadOnlyList<Command> Commands { get; } = commands;

    private static string Describe(Scenario s, IReadOnlyList<Command> commands, Exception cause)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{cause.GetType().Name} after command {commands.Count}: {cause.Message}");
        if (cause is not (ModelMismatchException or InvariantViolationException)) sb.AppendLine(cause.StackTrace);
        sb.AppendLine("// reproduction");
        sb.AppendLine($"var options = new ExchangeOptions {{ Policy = LossPolicy.{s.Options.Policy}, MaxOpenOrdersPerAccount = {s.Options.MaxOpenOrdersPerAccount}, MaxFundingRatePpm = {s.Options.MaxFundingRatePpm}, AccountCapacity = {s.Options.AccountCapacity}, OrderCapacity = {s.Options.OrderCapacity}, LevelCapacity = {s.Options.LevelCapacity} }};");
        foreach (var spec in s.Instruments) sb.AppendLine($"var spec{spec.Name[1]} = {Format(spec)};");
        sb.AppendLine("var commands = new Command[]");
        sb.AppendLine("{");
        foreach (var c in commands) sb.AppendLine($"    {CommandText.Format(c)},");
        sb.AppendLine("};");
        return sb.ToString();
    }

    private static string Format(InstrumentSpec s) =>
        $"new InstrumentSpec {{ Name = \"{s.Name}\", TickValue = {s.TickValue}, ImrPpm = {s.ImrPpm}, MmrPpm = {s.MmrPpm}, " +
        $"MakerFeePpm = {s.MakerFeePpm}, TakerFeePpm = {s.TakerFeePpm}, LiquidationFeePpm = {s.LiquidationFeePpm}, " +
        $"BandPpm = {s.BandPpm}, LiquidationBandPpm = {s.LiquidationBandPpm}, MaxPrice = {s.MaxPrice}, " +
        $"MaxOrderLots = {s.MaxOrderLots}, MaxPositionLots = {s.MaxPositionLots} }}";
}
