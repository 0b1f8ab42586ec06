namespace Exchange.Client.Protocol;

/// <summary>
/// Message types and lengths of the market-data order log (docs/protocol.md section 12). Every message starts with
/// type (1), timestamp (8) and the exchange's command sequence (8); integers are big-endian.
/// </summary>
public static class MarketDataFormat
{
    public const int HeaderLength = 17;

    public const byte AddOrder = (byte)'A';
    public const byte OrderExecuted = (byte)'E';
    public const byte OrderCancel = (byte)'X';
    public const byte OrderDelete = (byte)'D';
    public const byte OrderReplace = (byte)'U';
    public const byte Trade = (byte)'P';
    public const byte MarkPrice = (byte)'M';
    public const byte Funding = (byte)'F';
    public const byte InsuranceFund = (byte)'I';
    public const byte AutoDeleverage = (byte)'L';
    public const byte EndOfSnapshot = (byte)'G';
    public const byte TradingStatus = (byte)'H';

    public const int AddOrderLength = 46;
    public const int OrderExecutedLength = 55;
    public const int OrderCancelLength = 37;
    public const int OrderDeleteLength = 30;
    public const int OrderReplaceLength = 45;
    public const int TradeLength = 47;
    public const int MarkPriceLength = 29;
    public const int FundingLength = 29;
    public const int InsuranceFundLength = 25;
    public const int AutoDeleverageLength = 38;
    public const int EndOfSnapshotLength = 25;
    public const int TradingStatusLength = 38;

    /// <summary>Flags bit 0 of Order Executed and Trade: the taker was a liquidation order.</summary>
    public const byte LiquidationFlag = 1;

    /// <summary>Order Delete reason when a replaced order did not rest again (it traded in full on re-entry).</summary>
    public const byte ReplacedNotResting = 0;
}
