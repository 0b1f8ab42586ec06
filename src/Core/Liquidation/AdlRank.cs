namespace Exchange.Core.Liquidation;

/// <summary>An ADL queue entry: score descending, ties by lower account id.</summary>
public readonly record struct AdlRank(AdlScore Score, int AccountId) : IComparable<AdlRank>
{
    public int CompareTo(AdlRank other)
    {
        var c = other.Score.CompareTo(Score);
        return c != 0 ? c : AccountId.CompareTo(other.AccountId);
    }
}
