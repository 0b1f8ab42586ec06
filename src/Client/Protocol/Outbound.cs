namespace Exchange.Client.Protocol;

/// <summary>
/// Exchange-to-client application messages (inside SoupBinTCP Sequenced Data): type letters, lengths and field
/// values. Every message starts with type (1), timestamp (i64 ns, offset 1) and token (u32, offset 9); layouts are
/// in docs/protocol.md section 4.
/// </summary>
public static class Outbound
{
    public const byte OrderAccepted = (byte)'A';
    public const byte Rejected = (byte)'J';
    public const byte OrderReplaced = (byte)'U';
    public const byte OrderCanceled = (byte)'C';
    public const byte CancelAllDone = (byte)'K';
    public const byte OrderExecuted = (byte)'E';
    public const byte PositionUpdate = (byte)'P';
    public const byte BalanceUpdate = (byte)'B';
    public const byte Transfer = (byte)'T';
    public const byte MarkPriceSet = (byte)'M';
    public const byte FundingApplied = (byte)'W';
    public const byte FundingPayment = (byte)'R';
    public const byte Liquidation = (byte)'L';
    public const byte LiquidationFee = (byte)'G';
    public const byte InsurancePayment = (byte)'I';
    public const byte AutoDeleverage = (byte)'V';
    public const byte Haircut = (byte)'H';
    public const byte AccountState = (byte)'Q';
    public const byte TradingStatus = (byte)'S';

    public const int HeaderLength = 13;
    public const int OrderAcceptedLength = 50;
    public const int RejectedLength = 31;
    public const int OrderReplacedLength = 51;
    public const int OrderCanceledLength = 51;
    public const int CancelAllDoneLength = 25;
    public const int OrderExecutedLength = 67;
    public const int PositionUpdateLength = 45;
    public const int BalanceUpdateLength = 53;
    public const int TransferLength = 26;
    public const int MarkPriceSetLength = 25;
    public const int FundingAppliedLength = 37;
    public const int FundingPaymentLength = 37;
    public const int LiquidationLength = 35;
    public const int LiquidationFeeLength = 29;
    public const int InsurancePaymentLength = 29;
    public const int AutoDeleverageLength = 47;
    public const int HaircutLength = 25;
    public const int AccountStateHeaderLength = 58;
    public const int AccountStateEntryLength = 45;
    public const int TradingStatusLength = 34;

    /// <summary>Liquidity of an execution.</summary>
    public const byte Maker = (byte)'M';
    public const byte Taker = (byte)'T';
    public const byte LiquidationOrder = (byte)'L';

    /// <summary>Transfer kinds.</summary>
    public const byte DepositKind = 1;
    public const byte WithdrawalKind = 2;
    public const byte InsuranceDepositKind = 3;

    /// <summary>Liquidation phases.</summary>
    public const byte Started = 1;
    public const byte Ended = 2;

    /// <summary>ADL roles.</summary>
    public const byte Liquidated = 1;
    public const byte Deleveraged = 2;

    /// <summary>Trading Status values (also in the market-data Trading Status).</summary>
    public const byte Halted = 1;
    public const byte ResumedByRule = 2;
    public const byte ResumedByAdmin = 3;

    /// <summary>The message type byte of a Rejected when the inbound type was unreadable.</summary>
    public const byte UnknownType = (byte)'?';
}
