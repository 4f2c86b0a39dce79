"""The demo cases' Chinese texts (used by `cases`): the kinds of problems letters report, with {placeholders} for
places, enterprises and figures, what investigation found and what was done, the names placeholders are filled with,
the notes the demo users write, and the complaints, monitoring alerts and long-term cases written out one by one.
Everything here is invented."""

from __future__ import annotations

from dataclasses import dataclass

from ecoloop.cases.enums import Category, MilestoneStatus, Severity


@dataclass(frozen=True)
class Kind:
    """A kind of problem letters report: the sheet's 污染类型, the responsible unit ("branch": the county's branch,
    else a department's code), texts with {placeholders}, and what investigation found and what was done."""

    key: str
    label: str
    category: Category
    unit: str
    texts: tuple[str, ...]
    found: str
    handling: str
    industries: tuple[str, ...] = ()  # GB/T 4754 classes (digits) of the enterprise concerned
    urban: bool | None = None  # in the urban districts (True), the rural counties (False) or anywhere
    co_units: tuple[str, ...] = ()


_k = Kind
KINDS: tuple[Kind, ...] = (
    _k("chemical_odour", "大气", Category.AIR, "branch", (
        "{town}{village}群众反映，{ent}夜间偷排废气，刺鼻异味严重，晚上10点以后气味更大，周边群众不敢开窗，多次反映未解决。",
        "来信反映，{ent}废气收集处理设施不正常运行，夜间直排，恶臭扰民，影响{village}等周边村庄群众生活。",
        "{county}化工园区内{ent}经常在夜间和雨天偷排废气，周边村庄常年异味扰民。",
    ), "经{county}分局会同{town}人民政府现场核查，该企业焚烧装置检修期间部分工序未停产，废气经旁路直排，反映问题属实。",
       "责令企业立即停止违法行为，拆除旁路管道；依据《大气污染防治法》第一百零八条立案处罚，罚款{fine}万元；企业已完成废气收集系统改造，经监测厂界非甲烷总烃达标。",
       ("2614", "2631", "2710"), co_units=("dept-industry",)),
    _k("restaurant_fumes", "大气、噪声", Category.AIR, "dept-urban_management", (
        "{county}{town}{road}{shop}等多家餐饮店油烟直排，未安装油烟净化设施，夜间经营噪声大，严重影响{estate}小区居民休息。",
        "{estate}小区底商烧烤店露天烧烤，油烟、异味扰民，群众多次向有关部门反映未得到解决。",
    ), "经{town}会同城市管理部门现场核查，{n}家餐饮店未安装或未正常使用油烟净化设施，存在露天烧烤行为，反映问题属实。",
       "责令{n}家餐饮店安装油烟净化设施并定期清洗，取缔露天烧烤点{m}处，立案处罚{k}家。", urban=True),
    _k("site_dust", "扬尘", Category.AIR, "dept-housing", (
        "{county}{town}{project}工地土方作业未采取湿法作业，渣土车未密闭运输，道路遗撒严重，扬尘污染周边居民。",
        "{project}施工现场裸土未覆盖，车辆冲洗设施闲置，大风天气扬尘弥漫，附近学校和居民深受其害。",
    ), "经住房城乡建设部门现场核查，该工地部分裸土未覆盖、出入口冲洗设施未正常使用，反映问题属实。",
       "责令施工单位覆盖裸土{area}平方米，恢复车辆冲洗设施，对施工单位立案处罚，并纳入建筑市场信用管理。", urban=True),
    _k("manure", "水", Category.WATER, "dept-agriculture", (
        "{ent}（{town}{village}）养殖粪污未经处理直排村边沟渠，污水流入{river}，臭气熏天，蚊蝇滋生。",
        "反映{ent}粪污随意堆放，雨天粪水漫流，污染周边农田和地下水，村民井水有异味。",
    ), "经农业农村部门会同生态环境分局现场核查，该养殖场粪污贮存池容积不足，雨天存在粪水外溢现象，反映问题属实。",
       "责令养殖场清理外溢粪污，新建防渗贮存池{vol}立方米，完善雨污分流设施，粪污经发酵后还田利用；依法处罚{fine}万元。",
       ("0313", "0321", "0311"), co_units=("branch",)),
    _k("black_river", "水", Category.WATER, "dept-water_resources", (
        "{county}{town}段{river}河道黑臭，沿岸生活污水直排入河，夏季臭味严重，群众要求彻底治理。",
        "{river}{town}段水面漂浮垃圾，水体发黑发臭，多个排污口向河道排放污水。",
    ), "经现场核查，{river}该段存在{n}处生活污水排口，水体透明度低，存在黑臭现象，反映问题属实。",
       "封堵排污口{n}处，实施截污纳管{km}公里，清理河道淤泥{vol}立方米，落实河长巡河制度；经监测水体主要指标达到地表水Ⅴ类标准。",
       urban=False),
    _k("urban_black_river", "水", Category.WATER, "dept-housing", (
        "{county}{town}{river}城区段多处雨污混排口，晴天污水直流，河水黑臭，沿岸居民意见很大。",
    ), "经住房城乡建设部门现场排查，该段共有雨污混接点{n}处，晴天存在污水直排，反映问题属实。",
       "完成雨污混接点改造{n}处，新建截污管道{km}公里，实施清淤和生态补水，水体黑臭现象已消除。", urban=True),
    _k("village_rubbish", "固废", Category.SOLID_WASTE, "dept-housing", (
        "{town}{village}东头坑塘常年堆放生活垃圾和建筑垃圾，焚烧冒黑烟，臭味扰民。",
        "{county}{town}{village}附近空地被倾倒大量垃圾，无人清理，雨后污水横流。",
    ), "经现场核查，该处堆存生活垃圾和建筑垃圾约{ton}吨，反映问题属实。",
       "已清运垃圾{ton}吨，对坑塘平整覆土绿化，设置围挡和监控，落实网格员巡查制度。", urban=False),
    _k("factory_noise", "噪声", Category.NOISE, "branch", (
        "{ent}夜间生产，机器轰鸣，噪声扰民，附近{village}居民无法入睡。",
        "来信反映{ent}打磨、风机设备噪声大，且夜间加班生产，周边群众多次反映无果。",
    ), "经夜间现场监测，该企业厂界噪声夜间超过《工业企业厂界环境噪声排放标准》2类区限值，反映问题属实。",
       "责令企业夜间22时至次日6时停止高噪声工序，对风机、空压机加装隔声罩和消声器，经监测厂界噪声达标。",
       ("3391", "2110", "3031")),
    _k("sand_mining", "生态", Category.ECOLOGY, "dept-water_resources", (
        "{county}{town}{river}河道内有人夜间非法采砂，河床被挖得坑坑洼洼，堤防安全受到威胁。",
        "{county}{town}沿河滩区有人非法采砂、私设砂场，运砂车辆昼夜通行，扬尘噪声扰民。",
    ), "经水利、自然资源和公安部门联合核查，该河段存在非法采砂痕迹，现场发现采砂船{n}艘，反映问题属实。",
       "拆解采砂船{n}艘，查扣运砂车辆{m}辆，移送公安机关立案侦查{k}起，采砂坑已回填平整并实施生态修复。",
       urban=False, co_units=("dept-natural_resources", "dept-police")),
    _k("hazardous_waste", "危险废物", Category.SOLID_WASTE, "branch", (
        "{ent}将废机油、废漆桶等危险废物露天随意堆放，未设置危废贮存间，雨水冲刷后流入周边沟渠。",
        "反映{ent}私自处置危险废物，将废液、污泥倾倒在厂区后院，未按规定转移。",
    ), "经现场核查，该企业危险废物贮存场所不规范，部分废包装桶露天存放，危险废物管理台账不完善，反映问题属实。",
       "责令企业规范建设危险废物贮存库，{ton}吨危险废物已交有资质单位处置，依据《固体废物污染环境防治法》立案处罚{fine}万元。",
       ("3360", "8111", "2614")),
    _k("sewage_plant", "水", Category.WATER, "branch", (
        "{ent}出水发黑，夜间超标排放，下游{river}鱼虾死亡。",
    ), "经调取在线监测数据并现场采样，该厂进水负荷超过设计规模，部分时段氨氮超标，反映问题属实。",
       "责令该厂实施提标扩容改造，新增深度处理单元，完善在线监测质控；对超标排放行为立案处罚。", ("4620",)),
    _k("kiln_dust", "大气", Category.AIR, "branch", (
        "{ent}生产粉尘大，原料露天堆放，周边农作物叶面落满灰尘。",
        "{ent}窑炉烟囱冒黄烟，脱硫设施不正常运行，周边村民反映呛鼻。",
    ), "经现场核查，该企业原料堆场未全封闭，物料输送环节无组织排放明显，反映问题属实。",
       "责令企业建设全封闭料棚{area}平方米，输送皮带加装密闭罩，厂区道路硬化并定时洒水；立案处罚{fine}万元。",
       ("3031", "3011")),
    _k("coke_emission", "大气", Category.AIR, "branch", (
        "{ent}生产时烟尘无组织排放严重，厂区上空常年烟雾弥漫，周边村庄落满黑灰。",
        "{ent}脱硫脱硝设施时开时停，夜间烟囱冒黄烟，周边群众呼吸困难。",
    ), "经调阅在线监测和生产控制系统数据并现场检查，该企业除尘设施收集效率偏低，存在无组织排放，反映问题属实。",
       "责令企业完成除尘系统升级改造，对无组织排放环节全面密闭收集，按计划推进超低排放改造。", ("2521", "3120")),
    _k("dye_wastewater", "水", Category.WATER, "branch", (
        "{ent}通过暗管向{river}偷排生产废水，河水发红发臭。",
        "反映{ent}废水处理设施不正常运行，雨天借雨排污，下游村庄灌溉用水受到污染。",
    ), "经现场排查，该企业厂区雨水排口存在废水混排现象，采样监测化学需氧量超标，反映问题属实。",
       "责令企业封堵混排管道，实施雨污分流改造，清理受污染沟渠；对偷排行为立案处罚，涉嫌犯罪线索已移送公安机关。",
       ("1713", "2221", "1910")),
    _k("paint_odour", "大气", Category.AIR, "branch", (
        "{ent}在露天喷漆作业，油漆味刺鼻，附近{estate}小区居民不敢开窗。",
    ), "经现场核查，该汽修厂喷漆作业未在密闭喷漆房内进行，废气未经收集处理直排，反映问题属实。",
       "责令立即停止露天喷漆，建设密闭喷漆房并配套活性炭吸附装置；立案处罚{fine}万元。", ("8111",)),
    _k("night_construction", "噪声", Category.NOISE, "dept-housing", (
        "{project}工地夜间连续施工，打桩机、混凝土泵车噪声扰民，严重影响周边居民休息。",
    ), "经现场核查，该工地未办理夜间施工许可即在夜间进行混凝土浇筑作业，反映问题属实。",
       "责令施工单位停止夜间违规施工，对施工单位立案处罚，并在工地周边设置声屏障。", urban=True),
    _k("mine_restoration", "生态", Category.ECOLOGY, "dept-natural_resources", (
        "{county}{town}{hill}历史遗留矿山未治理，山体裸露，雨季存在滑坡隐患。",
        "{county}{town}有人非法占用耕地建设砂石料场，破坏基本农田。",
    ), "经自然资源部门现场核查，该处存在历史遗留废弃矿山裸露面约{area}平方米，反映问题属实。",
       "编制生态修复方案，实施削坡减载、覆土复绿，已完成修复面积{area}平方米。", urban=False),
)  # fmt: skip
KIND = {kind.key: kind for kind in KINDS}
FALSE_FOUND = {
    Category.AIR: "调阅在线监测和用电监控数据，企业治理设施运行正常，厂界无组织排放监测达标",
    Category.WATER: "现场未发现暗管和偷排痕迹，采样监测结果达标",
    Category.NOISE: "夜间监测厂界噪声达标",
    Category.SOLID_WASTE: "现场未发现垃圾或固体废物堆放",
    Category.ECOLOGY: "现场未发现采挖痕迹",
}
ACCOUNTABLE = ("", "", "{town}分管负责同志被诫勉谈话。", "对{town}环保所负责人进行提醒谈话。", "对相关网格员通报批评。")
ESTATES = ("锦绣华庭", "御景园", "阳光花园", "翡翠城", "书香名苑", "金色家园", "幸福里", "泉城花园")
SHOPS = ("老街烧烤", "川味小馆", "好再来饭店", "鲁味坊", "东北饺子馆", "串串香")
PROJECTS = ("清源府", "悦澜湾", "学府壹号", "东湖新城", "滨河一号", "世纪华府")
RIVERS = ("沙河", "青龙河", "泉河", "白马河", "洙水河", "柳河")
HILLS = ("青石山", "卧牛山", "凤凰岭")
ACCEPT_NOTES = ("已签收，立即组织现场核查。", "已签收，成立工作专班推进整改。", "已签收，明确分管负责同志牵头办理。")
PROGRESS_NOTES = (
    "已完成现场核查，制定整改方案，明确整改时限和责任人。",
    "整改工程已完成约六成，预计按期完成。",
    "已督促责任主体落实整改措施，正在开展第三方监测。",
)
REPORT_NOTES = ("已按要求完成整改，现场照片及整改报告已上传，申请销号。", "整改完成，经自查到位，申请复核销号。")
VERIFY_NOTES = ("安排复核人员现场核查。", "会同属地乡镇开展现场复核。")
PASS_NOTES = ("经现场复核，整改到位，同意销号。", "复核通过，整改措施落实到位，予以销号。")
FAIL_REASONS = (
    "现场复核发现仍有异味，废气收集设施未全部完成改造，退回继续整改。",
    "复核时发现沟渠内仍有污水，整改不到位。",
    "整改佐证材料不全，缺少第三方监测报告，退回补充。",
)
REOPEN_REASONS = (
    "群众再次反映，现场核查发现问题反弹（返黑返臭），重新启动整改。",
    "回头看发现治理设施已停用，问题反弹，重新整改。",
)

# --- complaints and inspections ---------------------------------------------------------------------------------------

_CALL, _WEB, _FOUND = "12369环保举报热线来电反映：", "12369网络举报：", "执法检查发现："
# key: title and text.
COMPLAINTS: dict[str, tuple[str, str]] = {
    "complaint-1": ("{town}{estate}小区底商餐饮油烟扰民",
        _CALL + "{town}{estate}小区底商{shop}等餐饮店油烟直排，中午和晚上油烟大，居民无法开窗。"),
    "complaint-2": ("{project}工地夜间施工噪声扰民",
        _CALL + "{town}{project}工地连续多日夜间施工至凌晨，混凝土泵车噪声很大，周边居民无法休息。"),
    "complaint-3": ("{ent}露天喷漆异味扰民",
        _CALL + "{ent}在院内露天喷漆，油漆味刺鼻，附近{estate}小区居民反映强烈。"),
    "complaint-4": ("{ent}养殖臭味扰民",
        _WEB + "{ent}养殖场臭味大，夏季苍蝇多，粪污堆放在场外，影响周边{village}村民生活。"),
    "complaint-5": ("{ent}夜间异味扰民",
        _CALL + "{ent}夜间排放刺鼻气味，与此前反映的问题相同，至今未彻底解决。"),
    "complaint-6": ("{town}夜市烧烤油烟扰民",
        _CALL + "{town}{road}夜市露天烧烤摊点多，油烟和噪声持续到深夜。"),
    "complaint-7": ("{village}河道旁倾倒垃圾",
        "12369微信举报：{town}{village}东侧{river}河道旁有人倾倒生活垃圾和建筑垃圾，雨后污水流入河道。"),
    "inspection-1": ("{ent}危险废物贮存不规范",
        _FOUND + "{ent}危险废物贮存间未设置防渗和导流设施，约{ton}千克含铬污泥露天堆放，管理台账记录不全。"),
    "inspection-2": ("{ent}除尘设施未正常运行",
        _FOUND + "{ent}熔炼炉除尘设施风机故障未修复仍在生产，车间无组织排放明显。"),
    "inspection-3": ("{ent}喷涂废气无组织排放",
        _FOUND + "{ent}喷涂工序未在密闭空间内进行，活性炭吸附装置长期未更换，挥发性有机物无组织排放。"),
}  # fmt: skip

# --- monitoring alerts and long-term cases ----------------------------------------------------------------------------

ALERT = "在线监测预警：{site}"
# key, enterprise (credit code), outlet, category, arc, days ago, unit, deadline (days), severity, title (after the
# site's name), text (after ALERT; {v}: the value), the range {v} is drawn from.
ALERTS = (
    # 临河县鑫源化工 (XINYUAN)
    ("alert-1", "91371821683814002E", "DW001", Category.WATER, "closed", 62, "branch-371821", 15, Severity.HIGH,
     "化学需氧量日均值超标",
     "化学需氧量日均值{v}mg/L，超过排污许可限值60mg/L（GB 31571-2015 表1 直接排放），已连续2日超标。",
     (85, 140)),
    ("alert-2", "913718223659127159", "DA001", Category.AIR, "rectifying", 12, "branch-371822", 20, Severity.HIGH,
     "二氧化硫小时均值超标",
     "二氧化硫小时均值最高{v}mg/m³，超过排污许可限值200mg/m³（GB 28662-2012 表2，基准含氧量16%），"
     "连续3小时超标。",
     (260, 420)),
    ("alert-3", "91371881292113268L", "DA001", Category.AIR, "verifying", 25, "branch-371881", 20, Severity.HIGH,
     "氮氧化物小时均值超标",
     "氮氧化物小时均值最高{v}mg/m³，超过排污许可限值500mg/m³（GB 16171-2012 表5），连续4小时超标。",
     (560, 720)),
    ("alert-4", "913718028388296216", "DW001", Category.WATER, "registered", 1, "", 0, Severity.HIGH,
     "氨氮日均值超标",
     "出水氨氮日均值{v}mg/L，超过排污许可限值5mg/L（GB 18918-2002 一级A标准）。", (7, 13)),
    ("alert-5", "91371823104730892Y", "DW001", Category.WATER, "registered", 2, "", 0, Severity.NORMAL,
     "在线监测数据恒值",
     "化学需氧量在线监测数据连续36小时恒定为{v}mg/L，疑似设备故障或数据异常，需现场核查。", (31, 46)),
    ("alert-6", "9137188247301738XY", "DA001", Category.AIR, "assigned", 4, "branch-371882", 15, Severity.HIGH,
     "氮氧化物小时均值超标",
     "氮氧化物小时均值最高{v}mg/m³，超过排污许可限值150mg/m³（GB 31570-2015 表3），连续2小时超标。",
     (180, 260)),
)  # fmt: skip

_DONE, _ON, _BEHIND, _PENDING = (MilestoneStatus.DONE, MilestoneStatus.ON_SCHEDULE, MilestoneStatus.BEHIND,
                                 MilestoneStatus.PENDING)  # fmt: skip
# key, county, lead unit, co-units, responsible leader, title, text ({end}: the final year), category, yearly targets
# from last year on, with their status.
LONG_TERM = (
    ("long-term-1", "371802", "dept-housing", ("dept-water_resources",), "分管副市长 李明",
     "中央生态环境保护督察反馈问题：城区雨污合流管网改造滞后",
     "督察反馈指出：清源市城区仍有约46公里雨污合流管网，汛期雨污混合水溢流入沙河、青龙河，河道水质波动明显。"
     "要求{end}年底前完成城区雨污分流改造。", Category.WATER,
     (("完成老城区12公里雨污合流管网改造", _DONE), ("完成东湖区、北关区18公里管网改造，消除汛期溢流口9处", _ON),
      ("完成剩余16公里管网改造，城区全面实现雨污分流", _PENDING))),
    ("long-term-2", "371822", "dept-agriculture", ("branch-371822",), "平山县县长 张卫东",
     "中央生态环境保护督察反馈问题：平山县畜禽养殖污染治理不到位",
     "督察反馈指出：平山县部分规模养殖场粪污处理设施配套不全，粪污直排、偷排问题时有发生，沙河平山段水质受到影响。"
     "要求{end}年底前规模养殖场粪污处理设施装备配套率达到100%。", Category.WATER,
     (("规模养殖场粪污处理设施装备配套率达到90%", _DONE),
      ("粪污综合利用率达到90%以上，关停禁养区内养殖场5家", _BEHIND),
      ("配套率达到100%，建立粪污资源化利用长效机制", _PENDING))),
    ("long-term-3", "371821", "branch-371821", ("dept-industry",), "临河县县长 赵志刚",
     "中央生态环境保护督察反馈问题：临河县化工园区挥发性有机物治理水平不高",
     "督察反馈指出：临河县化工园区部分企业挥发性有机物收集处理效率低，园区异味扰民问题突出。"
     "要求{end}年底前完成园区挥发性有机物综合治理。", Category.AIR,
     (("完成园区企业泄漏检测与修复（LDAR）全覆盖", _DONE),
      ("建成园区大气环境监测预警体系，完成8家企业废气治理设施升级", _ON),
      ("园区边界异味投诉较上年下降50%", _PENDING))),
)  # fmt: skip
MILESTONE_NOTES = {
    _DONE: "已完成，经验收合格。",
    _BEHIND: "受资金到位滞后影响，进度滞后约两个月。",
    _ON: "按序时推进。",
}
