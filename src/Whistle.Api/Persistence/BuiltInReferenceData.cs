using System.Globalization;
using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence;

/// <summary>
/// A reference set shaped like Hohhot's (domain.md): 39 streets, 453 communities, 4,693 grids,
/// 63 departments and units that answer whistles (Yuquan district alone counts 60+), and a duty
/// catalogue routing each of 46 categories to one of them.
/// The embedded default and the tests load it; a configured database gets nothing.
/// </summary>
public static class BuiltInReferenceData
{
    public const int StreetCount = 39;
    public const int CommunityCount = 453;
    public const int GridCount = 4693;

    private static readonly string[] StreetNames =
    [
        "海拉尔东路街道", "锡林南路街道", "昭君路街道", "小召前街街道", "兴隆巷街道", "大南街街道", "长和廊街道",
        "鄂尔多斯路街道", "西菜园街道", "石东路街道", "清泉街街道", "人民路街道", "中山东路街道", "中山西路街道",
        "东街街道", "西街街道", "海拉尔西路街道", "成吉思汗大街街道", "新华西路街道", "环河街街道", "通道街街道",
        "钢铁路街道", "光明路街道", "大学西路街道", "乌兰察布东路街道", "中专路街道", "大学东路街道", "昭乌达路街道",
        "敕勒川路街道", "金桥街道", "迎新路街道", "锡林北路街道", "东风路街道", "兴安北路街道", "新华东路街道",
        "机场路街道", "腾飞路街道", "巴彦街道", "鼓楼街道",
    ];

    public static IReadOnlyList<Department> Departments { get; } =
    [
        new() { Code = "urban-management", Name = "城市管理综合执法局" },
        new() { Code = "emergency", Name = "应急管理局" },
        new() { Code = "fire-rescue", Name = "消防救援支队" },
        new() { Code = "justice", Name = "司法局" },
        new() { Code = "sanitation", Name = "环境卫生服务中心" },
        new() { Code = "market-supervision", Name = "市场监督管理局" },
        new() { Code = "housing", Name = "住房和城乡建设局" },
        new() { Code = "municipal", Name = "市政设施管理处" },
        new() { Code = "water", Name = "水务局" },
        new() { Code = "heating", Name = "热力集团" },
        new() { Code = "gas", Name = "燃气公司" },
        new() { Code = "power", Name = "供电公司" },
        new() { Code = "police", Name = "公安分局" },
        new() { Code = "traffic-police", Name = "交通管理支队" },
        new() { Code = "ecology", Name = "生态环境局" },
        new() { Code = "landscaping", Name = "园林绿化局" },
        new() { Code = "human-resources", Name = "人力资源和社会保障局" },
        new() { Code = "civil-affairs", Name = "民政局" },
        new() { Code = "health", Name = "卫生健康委员会" },
        new() { Code = "education", Name = "教育局" },
        new() { Code = "transport", Name = "交通运输局" },
        new() { Code = "natural-resources", Name = "自然资源局" },
        new() { Code = "development-reform", Name = "发展和改革委员会" },
        new() { Code = "finance", Name = "财政局" },
        new() { Code = "statistics", Name = "统计局" },
        new() { Code = "audit", Name = "审计局" },
        new() { Code = "commerce", Name = "商务局" },
        new() { Code = "agriculture", Name = "农牧局" },
        new() { Code = "forestry", Name = "林业和草原局" },
        new() { Code = "culture-tourism", Name = "文化旅游体育局" },
        new() { Code = "publicity", Name = "宣传部" },
        new() { Code = "veterans", Name = "退役军人事务局" },
        new() { Code = "ethnic-religious", Name = "民族宗教事务局" },
        new() { Code = "petitions", Name = "信访局" },
        new() { Code = "disabled-federation", Name = "残疾人联合会" },
        new() { Code = "womens-federation", Name = "妇女联合会" },
        new() { Code = "youth-league", Name = "共青团" },
        new() { Code = "trade-union", Name = "总工会" },
        new() { Code = "medical-insurance", Name = "医疗保障局" },
        new() { Code = "cdc", Name = "疾病预防控制中心" },
        new() { Code = "science-technology", Name = "科学技术局" },
        new() { Code = "industry-it", Name = "工业和信息化局" },
        new() { Code = "big-data", Name = "大数据中心" },
        new() { Code = "government-services", Name = "政务服务局" },
        new() { Code = "housing-fund", Name = "住房公积金管理中心" },
        new() { Code = "property-affairs", Name = "房产事务服务中心" },
        new() { Code = "old-community-renewal", Name = "老旧小区改造办公室" },
        new() { Code = "land-acquisition", Name = "房屋征收与补偿办公室" },
        new() { Code = "river-chief", Name = "河湖长制办公室" },
        new() { Code = "air-quality", Name = "大气污染防治办公室" },
        new() { Code = "civil-air-defense", Name = "人民防空办公室" },
        new() { Code = "meteorology", Name = "气象局" },
        new() { Code = "earthquake", Name = "地震局" },
        new() { Code = "people-mediation", Name = "人民调解委员会" },
        new() { Code = "legal-aid", Name = "法律援助中心" },
        new() { Code = "community-corrections", Name = "社区矫正管理局" },
        new() { Code = "grid-management", Name = "网格化管理服务中心" },
        new() { Code = "tax", Name = "税务局" },
        new() { Code = "postal", Name = "邮政管理局" },
        new() { Code = "telecom", Name = "通信运营协调办公室" },
        new() { Code = "bus-group", Name = "公交集团" },
        new() { Code = "parks", Name = "公园管理中心" },
        new() { Code = "red-cross", Name = "红十字会" },
    ];

    public static IReadOnlyList<Category> Categories { get; } =
    [
        Category("illegal-construction", "违章建筑", "urban-management", 24, 168),
        Category("street-vending", "占道经营", "urban-management", 12, 72),
        Category("illegal-advertising", "乱贴小广告", "urban-management", 24, 72, requiresResolutionPhoto: true),
        Category("garbage", "垃圾清运不及时", "sanitation", 4, 24),
        Category("public-toilet", "公厕保洁", "sanitation", 8, 48),
        Category("fire-hazard", "消防安全隐患", "fire-rescue", 2, 24),
        Category("safety-hazard", "安全生产隐患", "emergency", 4, 48),
        Category("neighbour-dispute", "邻里纠纷", "justice", 24, 168),
        Category("food-safety", "食品安全", "market-supervision", 12, 72),
        Category("elevator-fault", "电梯故障", "market-supervision", 2, 24),
        Category("roof-leak", "房屋漏水", "housing", 24, 168),
        Category("property-dispute", "物业服务纠纷", "housing", 24, 168),
        Category("road-damage", "道路破损", "municipal", 24, 168, requiresResolutionPhoto: true),
        Category("manhole-cover", "井盖缺失破损", "municipal", 2, 24, requiresResolutionPhoto: true),
        Category("streetlight", "路灯不亮", "municipal", 24, 72),
        Category("water-outage", "停水", "water", 2, 24),
        Category("pipe-blockage", "管道堵塞", "water", 4, 48),
        Category("sewage-overflow", "污水外溢", "water", 4, 48),
        Category("heating-failure", "供暖不热", "heating", 4, 48),
        Category("gas-leak", "燃气泄漏", "gas", 1, 8),
        Category("power-outage", "停电", "power", 2, 12),
        Category("public-security", "治安隐患", "police", 2, 24),
        Category("illegal-parking", "乱停乱放", "traffic-police", 12, 48),
        Category("noise", "噪音扰民", "ecology", 12, 72),
        Category("greenery", "绿化养护", "landscaping", 24, 168),
        Category("wage-arrears", "拖欠工资", "human-resources", 24, 240),
        Category("elderly-care", "困难老人帮扶", "civil-affairs", 24, 168),
        Category("sanitation-epidemic", "病媒生物防制", "health", 24, 120),
        Category("stray-animals", "流浪犬只", "agriculture", 24, 120),
        Category("bus-stop", "公交站点设施损坏", "bus-group", 24, 120),
        Category("park-facility", "公园设施损坏", "parks", 24, 120),
        Category("signal-coverage", "通信信号差", "telecom", 48, 240),
        Category("old-community-renovation", "老旧小区改造问题", "old-community-renewal", 48, 336),
        Category("demolition-dispute", "征收补偿纠纷", "land-acquisition", 48, 336),
        Category("river-pollution", "河道污染", "river-chief", 12, 72),
        Category("dust-pollution", "扬尘污染", "air-quality", 12, 48),
        Category("disability-assistance", "残疾人帮扶", "disabled-federation", 24, 168),
        Category("veteran-services", "退役军人服务", "veterans", 24, 168),
        Category("medical-insurance-claim", "医保报销问题", "medical-insurance", 24, 168),
        Category("domestic-violence", "家庭暴力", "womens-federation", 2, 24),
        Category("legal-aid-request", "法律援助", "legal-aid", 24, 168),
        Category("dispute-mediation", "矛盾纠纷调解", "people-mediation", 24, 120),
        Category("air-raid-shelter", "人防工程隐患", "civil-air-defense", 24, 168),
        Category("government-service", "政务服务办理难", "government-services", 24, 120),
        Category("housing-fund-withdrawal", "公积金提取问题", "housing-fund", 24, 168),
        Category("express-delivery", "快递服务", "postal", 24, 120),
    ];

    public static IReadOnlyList<Street> Streets { get; } = Enumerable.Range(1, StreetCount)
        .Select(i => new Street { Code = StreetCode(i), Name = StreetNames[i - 1] })
        .ToArray();

    /// <summary>453 communities over 39 streets: the first 24 streets have 12, the other 15 have 11.</summary>
    public static IReadOnlyList<Community> Communities { get; } = Enumerable.Range(1, StreetCount)
        .SelectMany(s => Enumerable.Range(1, s <= 24 ? 12 : 11).Select(c => new Community
        {
            Code = $"{StreetCode(s)}-C{c:D2}",
            Name = $"{StreetNames[s - 1].Replace("街道", "", StringComparison.Ordinal)}第{Chinese(c)}社区",
            StreetCode = StreetCode(s),
        }))
        .ToArray();

    /// <summary>4,693 grids over 453 communities: the first 163 communities have 11, the other 290 have 10.</summary>
    public static IReadOnlyList<Grid> Grids { get; } = Communities
        .SelectMany((community, index) => Enumerable.Range(1, index < 163 ? 11 : 10).Select(g => new Grid
        {
            Code = $"{community.Code}-G{g:D2}",
            Name = $"{community.Name}第{Chinese(g)}网格",
            CommunityCode = community.Code,
        }))
        .ToArray();

    /// <summary>Loads the set into an empty store; a store that has any street already is left alone.</summary>
    public static async Task<bool> LoadIfEmptyAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Streets.AnyAsync(cancellationToken))
        {
            return false;
        }
        db.Departments.AddRange(Departments.Select(Copy));
        db.Categories.AddRange(Categories.Select(Copy));
        db.Streets.AddRange(Streets.Select(s => new Street { Code = s.Code, Name = s.Name }));
        db.Communities.AddRange(Communities.Select(c => new Community { Code = c.Code, Name = c.Name, StreetCode = c.StreetCode }));
        db.Grids.AddRange(Grids.Select(g => new Grid { Code = g.Code, Name = g.Name, CommunityCode = g.CommunityCode }));
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return true;
    }

    private static string StreetCode(int i) => $"ST{i:D2}";

    // Where a fix is visible and disputes are common, the catalogue asks for the after photo.
    private static Category Category(string code, string name, string department, int acknowledgeHours, int resolveHours, bool requiresResolutionPhoto = false) => new()
    {
        RequiresResolutionPhoto = requiresResolutionPhoto,
        Code = code,
        Name = name,
        DepartmentCode = department,
        AcknowledgeWithinHours = acknowledgeHours,
        ResolveWithinHours = resolveHours,
        // Urgent orders get half the time, never under an hour.
        UrgentAcknowledgeWithinHours = Math.Max(1, acknowledgeHours / 2),
        UrgentResolveWithinHours = Math.Max(1, resolveHours / 2),
    };

    private static Department Copy(Department d) => new() { Code = d.Code, Name = d.Name };

    private static Category Copy(Category c) => new()
    {
        Code = c.Code,
        Name = c.Name,
        DepartmentCode = c.DepartmentCode,
        AcknowledgeWithinHours = c.AcknowledgeWithinHours,
        ResolveWithinHours = c.ResolveWithinHours,
        UrgentAcknowledgeWithinHours = c.UrgentAcknowledgeWithinHours,
        UrgentResolveWithinHours = c.UrgentResolveWithinHours,
        RequiresResolutionPhoto = c.RequiresResolutionPhoto,
    };

    private static string Chinese(int n)
    {
        string[] digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        return n switch
        {
            < 10 => digits[n],
            10 => "十",
            < 20 => "十" + digits[n - 10],
            _ => n.ToString(CultureInfo.InvariantCulture),
        };
    }
}
