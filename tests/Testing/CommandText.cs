using System.Text;
using Exchange.Core.Commands;

namespace Exchange.Testing;

/// <summary>Prints a command as a C# object initializer (non-default fields only), ready to paste into a test.</summary>
public static class CommandText
{
    public static string Format(Command c)
    {
        var sb = new StringBuilder("new Command { ");
        sb.Append($"Type = CommandType.{c.Type}");
        if (c.Sequence != 0) sb.Append($", Sequence = {c.Sequence}");
        if (c.AccountId != 0) sb.Append($", AccountId = {c.AccountId}");
        if (c.InstrumentId != 0) sb.Append($", InstrumentId = {c.InstrumentId}");
        if (c.Type == CommandType.NewOrder)
        {
            sb.Append($", Side = {Enum(c.Side)}, OrderType = {Enum(c.OrderType)}, TimeInForce = {Enum(c.TimeInForce)}");
            if (c.Flags != OrderFlags.None) sb.Append($", Flags = {Enum(c.Flags)}");
            if (c.Stp != SelfTradePrevention.CancelTaker) sb.Append($", Stp = {Enum(c.Stp)}");
        }
        if (c.Price != 0) sb.Append($", Price = {c.Price}");
        if (c.Quantity != 0) sb.Append($", Quantity = {c.Quantity}");
        if (c.ClientOrderId != 0) sb.Append($", ClientOrderId = {c.ClientOrderId}");
        if (c.OrderId != 0) sb.Append($", OrderId = {c.OrderId}");
        if (c.Amount != 0) sb.Append($", Amount = {c.Amount}");
        return sb.Append(" }").ToString();
    }

    private static string Enum<T>(T value) where T : struct, System.Enum =>
        System.Enum.IsDefined(value) && !value.ToString().Contains(',')
            ? $"{typeof(T).Name}.{value}"
            : $"({typeof(T).Name}){Convert.ToInt64(value)}";
}
