namespace Whistle.Domain.Geo;

/// <summary>
/// What a client's latitude and longitude are measured in. GPS and Open311 speak WGS 84; Chinese
/// map SDKs (Amap, Tencent) give GCJ-02 and Baidu's BD-09, offset from WGS 84 by 100–700 m
/// (about 585 m at Hohhot's centre). Whistle stores WGS 84.
/// </summary>
public enum CoordinateSystem
{
    Wgs84,
    Gcj02,
    Bd09,
}
